"""A reference mapping as CRDS inserts into it: match cases, each with its USEAFTER dates.

CRDS inserts a reference by its full match tuple (the values of the rmap's first parkey group,
conditioned as CRDS conditions header values) plus its USEAFTER date. Three outcomes follow:
the same tuple and date replace the file there; the same tuple with a new date adds a date; a
new tuple adds a match case. Rmaps whose selectors nest deeper than Match and UseAfter (a
SelectVersion, ClosestTime...) are not modelled: the caller is told why.
"""

from __future__ import annotations

from dataclasses import dataclass

from crds_deliver.rules.mapfile import MappingFile, Selector, render

NO_DATE = ""  # the "date" of an rmap without a UseAfter level


class UnsupportedRmap(Exception):
    """The rmap's selector shape is beyond Match / UseAfter; the message says what it holds."""


@dataclass(frozen=True)
class Insertion:
    """Where one reference goes: its match values and date, and the file it replaces."""

    match: tuple[str, ...]
    useafter: str
    filename: str
    replaces: str | None


def _as_tuple(key: object) -> tuple[str, ...]:
    return tuple(str(k) for k in key) if isinstance(key, tuple) else (str(key),)


def _dates(selector: object, where: str) -> dict[str, str]:
    if isinstance(selector, str):
        return {NO_DATE: selector}
    if isinstance(selector, Selector) and selector.kind == "UseAfter" and all(
            isinstance(v, str) for v in selector.choices.values()):
        return {str(date): str(name) for date, name in selector.choices.items()}
    kind = selector.kind if isinstance(selector, Selector) else type(selector).__name__
    raise UnsupportedRmap(f"{where} nests a {kind} selector, which the rules prediction does "
                          "not model")


@dataclass
class Rmap:
    """The cases of one rmap: {match tuple: {USEAFTER: reference name}}."""

    name: str
    header: dict
    cases: dict[tuple[str, ...], dict[str, str]]

    @classmethod
    def from_mapping(cls, mapping: MappingFile) -> Rmap:
        """Model a parsed rmap. Raises UnsupportedRmap for selector shapes not modelled."""
        selector = mapping.selector
        if isinstance(selector, Selector) and selector.kind == "Match":
            cases = {_as_tuple(key): _dates(value, mapping.name)
                     for key, value in selector.choices.items()}
        elif isinstance(selector, Selector) and selector.kind == "UseAfter":
            cases = {(): _dates(selector, mapping.name)}
        else:
            kind = selector.kind if isinstance(selector, Selector) else "dict"
            raise UnsupportedRmap(f"{mapping.name} selects with {kind}, which the rules "
                                  "prediction does not model")
        return cls(mapping.name, dict(mapping.header), cases)

    @property
    def match_keys(self) -> tuple[str, ...]:
        """The rmap's match keywords (its first parkey group)."""
        parkey = self.header.get("parkey") or ((),)
        first = parkey[0] if parkey and isinstance(parkey[0], tuple) else parkey
        return tuple(str(key) for key in first)

    @property
    def has_dates(self) -> bool:
        return "UseAfter" in tuple(self.header.get("classes") or ("Match", "UseAfter"))

    def references(self) -> list[str]:
        return sorted({name for dates in self.cases.values() for name in dates.values()})

    def place(self, match: tuple[str, ...], useafter: str) -> str | None:
        """The reference a file with this match tuple and date would replace, if any."""
        return self.cases.get(match, {}).get(useafter if self.has_dates else NO_DATE)

    def insert(self, items: list[tuple[tuple[str, ...], str, str]]) -> tuple[Rmap, list[Insertion]]:
        """A new Rmap with (match, useafter, filename) items inserted, in order, and what
        each insertion did. Two items of one call on the same case: the later wins, as in
        CRDS; callers check for that first (it is an error of the delivery)."""
        cases = {key: dict(dates) for key, dates in self.cases.items()}
        done = []
        for match, useafter, filename in items:
            date = useafter if self.has_dates else NO_DATE
            replaced = cases.get(match, {}).get(date)
            cases.setdefault(match, {})[date] = filename
            done.append(Insertion(match, useafter, filename, replaced))
        return Rmap(self.name, dict(self.header), cases), done

    def text(self, name: str, derived_from: str) -> str:
        """The rmap as CRDS writes it, under `name`, derived from `derived_from`."""
        header = dict(self.header, name=name, derived_from=derived_from)
        header.pop("sha1sum", None)
        return render(header, self.selector_text())

    def selector_text(self) -> str:
        def dates_text(dates: dict[str, str], indent: str) -> str:
            if not self.has_dates:
                return repr(dates[NO_DATE])
            rows = "".join(f"{indent}    {date!r} : {dates[date]!r},\n" for date in sorted(dates))
            return "UseAfter({\n" + rows + indent + "})"

        if not self.match_keys:
            return dates_text(self.cases.get((), {}), "")
        rows = "".join(f"    {key!r} : {dates_text(self.cases[key], '    ')},\n"
                       for key in sorted(self.cases))
        return "Match({\n" + rows + "})"
