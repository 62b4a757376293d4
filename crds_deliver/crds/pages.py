"""Reading the server's HTML pages with the standard library's html.parser.

A tiny, forgiving element tree is enough: the client looks up elements by id and class, the
page title, forms and their inputs, and the text of a few elements. Malformed markup (unclosed
tags) never raises; an unmatched end tag is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "param", "source", "track", "wbr"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        """All text inside, whitespace collapsed."""
        parts: list[str] = []
        stack: list[Element | str] = [self]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                parts.append(node)
            else:
                stack.extend(reversed(node.children))
        return " ".join(" ".join(parts).split())

    def iter(self) -> Iterator[Element]:
        stack: list[Element] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed([c for c in node.children if isinstance(c, Element)]))

    def find(self, tag: str) -> Element | None:
        return next((e for e in self.iter() if e.tag == tag and e is not self), None)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: (v or "") for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: (v or "") for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class Page:
    """A parsed HTML page."""

    def __init__(self, html: str) -> None:
        builder = _Builder()
        builder.feed(html)
        builder.close()
        self.root = builder.root
        self._ids: dict[str, Element] = {}
        self._parents: dict[int, Element] = {}
        for element in self.root.iter():
            for child in element.children:
                if isinstance(child, Element):
                    self._parents[id(child)] = element
            ident = element.attrs.get("id")
            if ident and ident not in self._ids:
                self._ids[ident] = element

    def by_id(self, ident: str) -> Element | None:
        return self._ids.get(ident)

    def parent(self, element: Element) -> Element | None:
        return self._parents.get(id(element))

    def by_class(self, name: str) -> list[Element]:
        return [e for e in self.root.iter() if name in e.classes]

    @property
    def title(self) -> str:
        element = self.root.find("title")
        return element.text() if element else ""

    def text(self) -> str:
        return self.root.text()

    def forms(self) -> list[Element]:
        return [e for e in self.root.iter() if e.tag == "form"]

    def select_options(self, name: str) -> list[str]:
        """The option values of `<select name=...>` (e.g. the login form's instruments)."""
        for element in self.root.iter():
            if element.tag == "select" and element.attrs.get("name") == name:
                return [o.attrs.get("value", o.text()) for o in element.iter()
                        if o.tag == "option"]
        return []


def error_text(page: Page) -> str | None:
    """The error a page shows, the way CRDS renders trapped errors: `id=error_message`,
    `class=error_message`, or (login page) `id=error_login`. None when there is none."""
    candidates = [page.by_id("error_message"), page.by_id("error_login"),
                  *page.by_class("error_message")]
    for element in candidates:
        if element is not None and element.text():
            return element.text()
    return None


@dataclass(frozen=True)
class ResultsPage:
    """What the client reads from a results (READY) or confirmation page."""

    status: str | None  # READY, BAD FILES, FAIL, CONFIRMED, CANCELLED, when the page says
    file_names: dict[str, str]  # uploaded name -> official name
    file_status: dict[str, str]  # uploaded name -> OK / Warnings / ERRORS
    rmap_diffs: dict[str, str]  # old rmap -> new rmap (Logical Diff headings)
    error: str | None
    confirm_action: str | None  # the form that confirms or cancels, if the page has one


_LOGICAL_DIFF = re.compile(r"Logical Diff\s*\(\s*'?([^',()]+?)'?\s*,\s*'?([^',()]+?)'?\s*\)")
_VERDICT = re.compile(r"\b(OK|Warnings|ERRORS)\b")


def read_results(html: str, uploaded: list[str]) -> ResultsPage:
    """Scrape a results page for the files we uploaded; names are read, never guessed."""
    page = Page(html)
    names: dict[str, str] = {}
    verdicts: dict[str, str] = {}
    for name in uploaded:
        element = page.by_id(name)
        if element is None:
            continue
        link = element.find("a")
        official = (link.text() if link else element.text()).split()
        if official:
            names[name] = official[0]
        # The accordion header reads "<uploaded> --> <new> OK|Warnings|ERRORS".
        verdict = _VERDICT.search(_row_text(page, element))
        if verdict:
            verdicts[name] = verdict.group(1)
    diffs = {m.group(1).strip(): m.group(2).strip() for m in _LOGICAL_DIFF.finditer(page.text())}
    status = None
    marker = page.by_id("submission_status")
    if marker is not None and marker.text():
        status = marker.text().upper()
    action = None
    for form in page.forms():
        buttons = {e.attrs.get("value") for e in form.iter() if e.attrs.get("name") == "button"}
        if "confirm" in buttons or "cancel" in buttons:
            action = form.attrs.get("action") or None
    return ResultsPage(status, names, verdicts, diffs, error_text(page), action)


def _row_text(page: Page, element: Element) -> str:
    """The text around a file's name where its verdict is shown: the nearest ancestor (up to
    its table row) whose text holds a verdict."""
    node: Element | None = element
    while node is not None and node.tag not in ("table", "body", "#document"):
        text = node.text()
        if _VERDICT.search(text) or node.tag == "tr":
            return text
        node = page.parent(node)
    return element.text()


def mapping_links(html: str) -> dict[str, str]:
    """On a confirmation page: every element whose id is a mapping name (the old pmap) and
    that links to another mapping name (the new one)."""
    page = Page(html)
    found = {}
    for element in page.root.iter():
        ident = element.attrs.get("id", "")
        if not ident.endswith((".pmap", ".imap", ".rmap")):
            continue
        link = element.find("a")
        text = (link.text() if link else element.text()).split()
        if text and text[0] != ident and text[0].endswith(ident[-5:]):
            found[ident] = text[0]
    return found
