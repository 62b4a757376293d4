"""The rules change as short text, one block per rmap: what plan shows and the sandbox's
results page shows, in the same words, so the two can be compared line by line."""

from __future__ import annotations

from crds_deliver.rules.predict import Placement


def change_line(label: str, placement: Placement) -> str:
    """`+ MIRIMAGE FULL 2026-01-01 00:00:00 → label, replaces old.fits` (or `, added`)."""
    values = " ".join(placement.match.values())
    case = f"{values} {placement.useafter}".strip()
    what = f"replaces {placement.replaces}" if placement.replaces else "added"
    return f"+ {case} → {label}, {what}"


def rules_change(placed: list[tuple[str, Placement]]) -> dict[str, list[str]]:
    """{rmap: [change lines]} for (label, placement) pairs, rmaps and lines sorted."""
    blocks: dict[str, list[str]] = {}
    for label, placement in placed:
        blocks.setdefault(placement.rmap, []).append(change_line(label, placement))
    return {rmap: sorted(lines) for rmap, lines in sorted(blocks.items())}
