"""Roman (and other ASDF) references: the metadata tree, read with the optional asdf package.

Without `roman_datamodels` the reference tags are unknown to asdf, which then hands back plain
dictionaries; with it, the tree holds datamodel nodes (mappings, not dicts) and asdf validates
each tagged node against its schema as it reads. Both are read the same way, as mappings, and
flattened to dotted upper-case names (ROMAN.META.USEAFTER) as CRDS does.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crds_deliver.certify.asdf_extensions import load_extensions
from crds_deliver.certify.findings import Finding, error
from crds_deliver.certify.structure import WARNINGS_LOCK, Header


def asdf_available() -> bool:
    try:
        import asdf  # noqa: F401
    except ImportError:
        return False
    return True


# A time as asdf writes it in ISO form (`2026-01-01T00:00:00.000`, or with a blank).
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d*)?")


def _scalar(value: Any, time: bool = False) -> Any:
    """Times become `YYYY-MM-DDTHH:MM:SS` (CRDS drops fractions); other scalars unchanged.

    A time is an astropy Time when asdf-astropy is installed (the roman extra), else the
    text (or value/format/scale mapping) as written under a `time/time-1.x` tag. Both give
    the same value: otherwise a Roman USEAFTER was refused for its fraction where the server,
    which reads a Time, accepts it.
    """
    if hasattr(value, "isot"):
        return str(value.isot)[:19]
    time = time or "/time/time-" in str(getattr(value, "_tag", ""))
    if isinstance(value, Mapping) and "value" in value and len(value) <= 3:
        return _scalar(value["value"], time)
    if time and isinstance(value, str) and (found := _ISO_TIME.fullmatch(value.strip())):
        return f"{found[1]}T{found[2]}"
    return value


def _flatten(prefix: str, tree: Any, header: Header, depth: int = 0) -> None:
    if depth > 6:
        return
    if isinstance(tree, Mapping) and not (set(tree) <= {"value", "format", "scale"}):
        for key, value in tree.items():
            _flatten(f"{prefix}.{str(key).upper()}" if prefix else str(key).upper(), value,
                     header, depth + 1)
    elif isinstance(tree, (str, int, float, bool)) or hasattr(tree, "isot") or \
            isinstance(tree, Mapping):
        header.values.setdefault(prefix, (_scalar(tree), None))


def read_asdf(path: Path, name: str) -> tuple[Header | None, list[Finding]]:
    """The flattened `roman`/`meta` metadata, or None with an error when unreadable."""
    import asdf

    load_extensions()
    header = Header()
    try:
        with WARNINGS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with asdf.open(path, lazy_load=True, memmap=False) as handle:
                tree = handle.tree
                if isinstance(tree.get("roman"), Mapping):
                    _flatten("ROMAN", tree["roman"], header)
                if isinstance(tree.get("meta"), Mapping):
                    _flatten("META", tree["meta"], header)
    except Exception as exc:  # noqa: BLE001  (asdf raises many kinds; all mean unreadable)
        return None, [error(name, f"asdf cannot read the file: {type(exc).__name__}: {exc}")]
    return header, []
