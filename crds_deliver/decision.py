"""A person's decision on a READY delivery, kept as a file beside its manifest.

A READY delivery waits for someone to read its results page. In a delivery repository that
decision is a reviewed change like any other: a pull request adds `<manifest stem>.confirm`
(or `.cancel`) beside the manifest, and the merge lets `apply --pending` finish the delivery.
The file stays as the record of who decided. Both files at once is a mistake to report, never
a coin to toss.
"""

from __future__ import annotations

from pathlib import Path

from crds_deliver.errors import CrdsDeliverError

DECISIONS = ("confirm", "cancel")


class DecisionError(CrdsDeliverError):
    """The decision files of a manifest contradict each other."""


def decision_file(manifest_path: Path, decision: str) -> Path:
    """Where the file deciding `decision` ("confirm" or "cancel") for a manifest goes."""
    return manifest_path.with_suffix(f".{decision}")


def read_decision(manifest_path: Path) -> str | None:
    """"confirm", "cancel", or None when no decision file is there yet."""
    found = [d for d in DECISIONS if decision_file(manifest_path, d).exists()]
    if len(found) > 1:
        names = " and ".join(decision_file(manifest_path, d).name for d in found)
        raise DecisionError(f"{manifest_path}: both {names} exist; keep the one you mean")
    return found[0] if found else None


def how_to_decide(manifest_path: Path, results_url: str | None) -> str:
    """The sentence a plan and apply print for a READY delivery still waiting for a person."""
    where = f"review {results_url}, then add" if results_url else "review the results page, " \
                                                                   "then add"
    return (f"READY, waiting for a decision: {where} "
            f"{decision_file(manifest_path, 'confirm')} to confirm or "
            f"{decision_file(manifest_path, 'cancel')} to cancel")
