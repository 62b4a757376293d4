"""What the sandbox reads from a delivered file to place it in an rmap: match values, use-after.

The real server takes these from the rmap's parkeys; the sandbox's rmaps match on the detector
(JWST: detector and subarray) and a use-after date, read from the FITS primary header (or a
Roman ASDF tree when asdf is installed). Missing values fall back to 'N/A' (CRDS's "any") and
the earliest date, which still gives a valid rmap entry.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

EARLIEST = "1900-01-01 00:00:00"
_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%b %d %Y %H:%M:%S",
            "%b %d %Y", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f")


def normalise_date(value: object) -> str:
    """A use-after value as CRDS writes it in rmaps ('YYYY-MM-DD HH:MM:SS')."""
    text = str(value or "").strip()
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
    return EARLIEST


def placement(path: Path, project: str) -> tuple[tuple[str, ...], str]:
    """(match values, use-after) of a reference file, with fallbacks for anything unreadable."""
    if path.suffix.lower() == ".asdf":
        return _asdf_placement(path)
    keys = ("DETECTOR", "SUBARRAY") if project == "jwst" else ("DETECTOR",)
    try:
        from astropy.io import fits

        header = fits.getheader(path, 0)
    except Exception:  # any unreadable file still gets a valid (fallback) rmap entry
        return tuple("N/A" for _ in keys), EARLIEST
    match = tuple(str(header.get(key, "N/A")).strip().upper() or "N/A" for key in keys)
    return match, normalise_date(header.get("USEAFTER"))


def _asdf_placement(path: Path) -> tuple[tuple[str, ...], str]:
    try:
        import asdf

        with asdf.open(path, lazy_load=True, memmap=False) as af:
            meta = af.tree.get("roman", af.tree).get("meta", {})
            detector = str(meta.get("instrument", {}).get("detector", "N/A")).upper()
            return (detector,), normalise_date(meta.get("useafter"))
    except Exception:  # asdf missing or the tree is not a Roman reference file
        return ("N/A",), EARLIEST
