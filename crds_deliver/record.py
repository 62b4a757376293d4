"""The result record: the state of one delivery, kept next to its manifest.

`manifests/…/miri-darks.yaml` gets `manifests/…/miri-darks.result.yaml`.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path


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
