"""The rules part of a plan: where each file goes, what it replaces, and what CRDS would refuse.

Given the manifest's derive-from context read from a CRDS cache, every file gets a placement
(context, rmap, match, USEAFTER, replaces). Two files of the delivery on one case, and a file
byte-identical to one the server already holds (its sha1 is in the cache's
`download_metadata`), are errors the plan reports before anything is uploaded. Without a
readable context the plan says that rules were not predicted, and why.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from crds_deliver.rules.context import ContextError, load_context, server_config
from crds_deliver.rules.predict import DeliveredFile, Placement, predict

NO_CACHE = ("no CRDS cache was given (set CRDS_PATH or pass --crds-path DIR; "
            "--sync fetches the context's rules from the server)")


@dataclass
class RulesOutcome:
    """Placements by file key, findings by file key, and why rules were not predicted."""

    context: str | None = None
    note: str | None = None
    placements: dict[str, Placement] = field(default_factory=dict)
    # (file key, "error" | "warning", message)
    findings: list[tuple[str, str, str]] = field(default_factory=list)


def _held_sha1s(cache: Path, project: str) -> dict[str, str]:
    """{sha1: name} of every file the server held when the cache was synced."""
    try:
        metadata = server_config(cache, project).get("download_metadata")
    except ContextError:
        return {}
    if isinstance(metadata, dict) and "crds_payload" in metadata:
        try:
            metadata = json.loads(gzip.decompress(base64.b64decode(metadata["crds_payload"])))
        except (ValueError, OSError):
            return {}
    if not isinstance(metadata, dict):
        return {}
    return {str(info["sha1sum"]): name for name, info in metadata.items()
            if isinstance(info, dict) and info.get("sha1sum")}


def plan_rules(project: str, spec: str | None, cache: Path | None,
               files: list[tuple[DeliveredFile, str | None]]) -> RulesOutcome:
    """The rules outcome for `files` ((file, sha1) pairs) in context `spec` of `cache`."""
    if cache is None:
        return RulesOutcome(note=NO_CACHE)
    try:
        context = load_context(cache, project, spec)
    except ContextError as exc:
        return RulesOutcome(note=str(exc))
    outcome = RulesOutcome(context=context.pmap)
    held = _held_sha1s(cache, project)
    for item, sha1 in files:
        if sha1 and sha1 in held:
            outcome.findings.append((item.key, "error", (
                f"identical to {held[sha1]}, which CRDS already holds: the server refuses "
                "it. To rehearse a re-delivery, change its bytes with `crds-deliver stamp "
                f"{item.key}` (a CRDSUNIQ keyword, as the notebook's crds_unique writes)")))
    prediction = predict(context, [item for item, _sha1 in files])
    outcome.placements = prediction.placements
    for key, reason in prediction.unplaced.items():
        outcome.findings.append((key, "warning",
                                 f"rules not predicted for this file, because {reason}"))
    for key, _other, text in prediction.conflicts:
        outcome.findings.append((key, "error", text))
    if prediction.unplaced and not prediction.placements:
        outcome.note = "no file could be placed in the rules"
    return outcome
