"""Where each file of a delivery goes in a context's rules: the one engine for plan and sandbox.

For every file: its rmap in the context (by instrument and reference type), its match tuple
and USEAFTER as CRDS inserts it, and the reference it replaces (same tuple and date) or None.
Two files of one delivery on the same case would replace each other: CRDS's rmap insertion
reports that as an error, and so does this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crds_deliver.rules.context import LoadedContext
from crds_deliver.rules.refkeys import (
    ReferenceKeys,
    UnreadableReference,
    match_values,
    read_keys,
    reference_useafter,
)
from crds_deliver.rules.rmap import Rmap, UnsupportedRmap


@dataclass(frozen=True)
class DeliveredFile:
    """A file to place: a key naming it (its path in the plan), where to read it, its type."""

    key: str
    path: Path
    instrument: str | None
    reftype: str | None
    # Its keywords when certification already read them (CertifyResult.keywords); else the
    # file is opened to read them.
    keywords: dict[str, object] | None = None


@dataclass(frozen=True)
class Placement:
    """One file's place in the rules (the `rules` of a planned file)."""

    context: str
    rmap: str
    match: dict[str, str]
    useafter: str
    replaces: str | None

    def to_dict(self) -> dict:
        return {"context": self.context, "rmap": self.rmap, "match": dict(self.match),
                "useafter": self.useafter, "replaces": self.replaces}

    @property
    def case(self) -> tuple[str, tuple[str, ...], str]:
        return self.rmap, tuple(self.match.values()), self.useafter


@dataclass
class Prediction:
    """Placements by file key, why the others were not placed, and replace conflicts."""

    context: str
    placements: dict[str, Placement] = field(default_factory=dict)
    unplaced: dict[str, str] = field(default_factory=dict)
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (key, other, text)

    def by_rmap(self) -> dict[str, list[tuple[str, Placement]]]:
        grouped: dict[str, list[tuple[str, Placement]]] = {}
        for key, placement in self.placements.items():
            grouped.setdefault(placement.rmap, []).append((key, placement))
        return grouped


def place_file(context: LoadedContext, item: DeliveredFile, rmaps: dict[str, Rmap]
               ) -> Placement | str:
    """The placement of one file, or why it cannot be predicted."""
    if not item.instrument or not item.reftype:
        return "its instrument and reference type are not known"
    name = context.rmap_for(item.instrument, item.reftype)
    if name is None:
        return (f"{context.pmap} has no rules for {item.instrument} {item.reftype} "
                "(a new reference type needs a hand-made rmap)")
    try:
        rmap = rmaps.get(name) or rmaps.setdefault(name, context.rmap(name))
        keys = (ReferenceKeys(item.keywords) if item.keywords is not None
                else read_keys(item.path))
    except (UnsupportedRmap, UnreadableReference) as exc:
        return str(exc)
    values = match_values(keys, rmap.match_keys)
    date = reference_useafter(keys)
    if date is None and rmap.has_dates:
        return "its USEAFTER is missing or not a date"
    date = date or ""
    return Placement(context.pmap, name, dict(zip(rmap.match_keys, values, strict=True)), date,
                     rmap.place(values, date))


def predict(context: LoadedContext, files: list[DeliveredFile]) -> Prediction:
    """Place every file of a delivery in `context`; report files that share a case."""
    prediction = Prediction(context.pmap)
    rmaps: dict[str, Rmap] = {}
    seen: dict[tuple[str, tuple[str, ...], str], str] = {}
    for item in files:
        placed = place_file(context, item, rmaps)
        if isinstance(placed, str):
            prediction.unplaced[item.key] = placed
            continue
        prediction.placements[item.key] = placed
        other = seen.setdefault(placed.case, item.key)
        if other != item.key:
            shown = " ".join(placed.match.values()) or "(no match keys)"
            prediction.conflicts.append((item.key, other, (
                f"'{item.key}' and '{other}' identically match {placed.rmap} case {shown} "
                f"{placed.useafter}: each would replace the other")))
    return prediction
