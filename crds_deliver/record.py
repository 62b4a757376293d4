"""The result record: the state of one delivery, kept next to its manifest.

`manifests/…/miri-darks.yaml` gets `manifests/…/miri-darks.result.yaml`.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import yaml


class State(str, Enum):
    """Delivery states, in the order a delivery passes through them."""

    SUBMITTING = "SUBMITTING"
    SUBMITTED = "SUBMITTED"
    READY = "READY"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    BAD_FILES = "BAD_FILES"
    FAILED = "FAILED"


TERMINAL_STATES = frozenset({State.CONFIRMED, State.CANCELLED, State.BAD_FILES, State.FAILED})


def record_path(manifest_path: Path) -> Path:
    """Where the result record of a manifest lives: same folder, `.result.yaml` suffix."""
    return manifest_path.with_name(manifest_path.stem + ".result.yaml")


def read_state(manifest_path: Path) -> State | None:
    """The state recorded for a manifest's delivery, or None when it was never applied.

    A record whose state is unreadable counts as not applied only if it does not exist: an
    unreadable one raises ValueError, because guessing could deliver the same files twice.
    """
    path = record_path(manifest_path)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return State(data["state"])
    except (TypeError, KeyError, ValueError):
        raise ValueError(f"{path}: no valid 'state' in the result record") from None
