"""CRDS mapping files (pmap, imap, rmap) read and written as CRDS writes them.

A mapping is Python-literal text: `header = {...}` and `selector = ...`, where a reference
mapping's selector nests `Match({...})` and `UseAfter({...})` calls. It is parsed with `ast`
(never evaluated), so a cache from anywhere is safe to read. The checksum is CRDS's own: the
SHA-1 of the text without the line that holds `sha1sum`.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from crds_deliver.errors import CrdsDeliverError

Value = str | int | float | bool | None | tuple | dict


class MappingError(CrdsDeliverError):
    """A mapping file is missing or does not parse; the message names the file."""


@dataclass(frozen=True)
class Selector:
    """A selector call of an rmap, e.g. Match({...}) or UseAfter({...})."""

    kind: str
    choices: dict


@dataclass
class MappingFile:
    """A parsed mapping: its name, header, and selector (a dict for pmaps and imaps)."""

    name: str
    header: dict
    selector: dict | Selector
    text: str = field(default="", repr=False)

    @property
    def kind(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def children(self) -> dict[str, str]:
        """{selector key (lower case): child mapping} of a pmap or imap; 'N/A' entries left out."""
        if not isinstance(self.selector, dict):
            return {}
        return {str(key).lower(): str(value) for key, value in self.selector.items()
                if isinstance(value, str) and value.upper() != "N/A"}


def _literal(node: ast.expr, where: str) -> Value | Selector:
    """A literal expression of a mapping (constants, tuples, dicts, selector calls)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_literal(item, where) for item in node.elts)
    if isinstance(node, ast.Dict):
        return {_literal(key, where): _literal(value, where)
                for key, value in zip(node.keys, node.values, strict=True) if key is not None}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
            and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
        choices = _literal(node.args[0], where)
        if isinstance(choices, dict):
            return Selector(node.func.id, choices)
    raise MappingError(f"{where}:{node.lineno}: not a CRDS mapping expression")


def parse_mapping(text: str, where: str) -> MappingFile:
    """Parse mapping `text`; `where` (a path or name) locates errors."""
    try:
        tree = ast.parse(text, filename=where)
    except SyntaxError as exc:
        raise MappingError(f"{where}:{exc.lineno or 0}: does not parse as a CRDS mapping: "
                           f"{exc.msg}") from None
    values: dict[str, object] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            values[statement.targets[0].id] = _literal(statement.value, where)
    header, selector = values.get("header"), values.get("selector")
    if not isinstance(header, dict) or not isinstance(selector, (dict, Selector)):
        raise MappingError(f"{where}: a CRDS mapping needs `header = {{...}}` and "
                           "`selector = ...`")
    name = str(header.get("name") or Path(where).name)
    return MappingFile(name, header, selector, text)


def read_mapping(path: Path) -> MappingFile:
    """Read and parse the mapping file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc}") from None
    return parse_mapping(text, str(path))


def checksum(text: str) -> str:
    """CRDS's mapping checksum: SHA-1 over every line except the one holding `sha1sum`."""
    kept = "".join(line for line in text.splitlines(True) if "sha1sum" not in line)
    return hashlib.sha1(kept.encode("utf-8")).hexdigest()


def _render(header: dict, selector: str) -> str:
    lines = ["header = {"]
    lines += [f"    {key!r} : {header[key]!r}," for key in sorted(header)]
    lines += ["}", "", f"selector = {selector}"]
    return "\n".join(lines) + "\n"


def render(header: dict, selector_text: str) -> str:
    """Mapping text with `header` (keys sorted, as CRDS writes them) and a correct sha1sum."""
    draft = _render(dict(header, sha1sum="X"), selector_text)
    return _render(dict(header, sha1sum=checksum(draft)), selector_text)


def dict_selector_text(entries: dict[str, str]) -> str:
    """The selector of a pmap or imap: {KEY : child}, keys upper case and sorted."""
    body = "".join(f"    {key.upper()!r} : {entries[key]!r},\n" for key in sorted(entries))
    return "{\n" + body + "}"
