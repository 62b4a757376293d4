"""crds-deliver: deliveries of calibration reference files to CRDS as reviewed YAML manifests.

`from crds_deliver import Delivery` is the Python API (crds_deliver.api). It loads on first
use, so `import crds_deliver` stays cheap: the CLI's --version, and scripts that only need the
version, never pay for astropy or requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

try:
    # Written by setuptools-scm from the git tag when the package is built or installed.
    from crds_deliver._version import __version__
except ImportError:  # a source tree that was never installed (PYTHONPATH=. in a bare copy)
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from crds_deliver.api import (
        Delivery,
        DeliveryError,
        DeliveryRefused,
        History,
        HistoryEntry,
        Outcome,
        Plan,
        history,
    )

__all__ = ["Delivery", "DeliveryError", "DeliveryRefused", "History", "HistoryEntry", "Outcome",
           "Plan", "__version__", "history"]


def __getattr__(name: str) -> object:
    """The API's names, imported when first asked for (PEP 562)."""
    if name in __all__ and name != "__version__":
        from crds_deliver import api

        return getattr(api, name)
    raise AttributeError(f"module 'crds_deliver' has no attribute {name!r}")
