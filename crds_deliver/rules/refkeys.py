"""A reference file's values for an rmap's match keywords, and its USEAFTER, as CRDS reads them.

FITS: the keywords of every HDU, first value wins (JWST data-model names map to their FITS
keywords). ASDF (Roman): the `roman.meta` tree, addressed by the dotted parkey path. Values are
conditioned as crds.core.utils.condition_value does (upper case, numbers as floats, N/A, T/F),
so they compare equal to the keys CRDS writes into rmaps.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from crds_deliver.certify.asdf_extensions import load_extensions
from crds_deliver.certify.matching import JWST_FITS_NAMES

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DONT_CARE = re.compile(r"^(N/A|NOT APPLICABLE|NOT_APPLICABLE|-999(\.0*)?|4294966297(\.0*)?)$")
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f",
                 "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d", "%b %d %Y %H:%M:%S", "%b %d %Y %H:%M",
                 "%b %d %Y")
USEAFTER_KEYS = ("USEAFTER", "META.USEAFTER", "ROMAN.META.USEAFTER")


class UnreadableReference(Exception):
    """The file's keywords cannot be read (the message says why)."""


@dataclass(frozen=True)
class ReferenceKeys:
    """Upper-cased keyword -> raw value, from a reference file."""

    values: dict[str, object]

    def get(self, key: str) -> object | None:
        for name in (key, JWST_FITS_NAMES.get(key), key.rsplit(".", 1)[-1][:8]):
            if name and self.values.get(name) is not None:
                return self.values[name]
        return None


def condition(value: object) -> str:
    """A header value as it appears in (and matches) an rmap key."""
    if isinstance(value, bool):
        return "T" if value else "F"
    text = str(value).strip().upper()
    if _NUMBER.match(text):
        text = str(float(text))
    if _DONT_CARE.match(text) or text in ("", "UNDEFINED"):
        return "N/A"
    if text == "ANY":
        return "*"
    return {"TRUE": "T", "FALSE": "F"}.get(text, text)


def useafter(value: object) -> str | None:
    """A USEAFTER value as rmaps write it ('YYYY-MM-DD HH:MM:SS'), or None when unparsable."""
    text = str(value or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
    return None


def _fits_keys(path: Path) -> dict[str, object]:
    from astropy.io import fits

    values: dict[str, object] = {}
    with fits.open(path, memmap=False, lazy_load_hdus=True) as hdus:
        for hdu in hdus:
            for card in hdu.header.cards:
                if card.keyword and card.keyword not in values and card.keyword not in (
                        "COMMENT", "HISTORY", ""):
                    values[card.keyword] = card.value
    return values


def _flatten(prefix: str, tree: object, into: dict[str, object]) -> None:
    if isinstance(tree, dict):
        for key, value in tree.items():
            _flatten(f"{prefix}.{str(key).upper()}", value, into)
    elif isinstance(tree, (str, int, float, bool)):
        into[prefix] = tree
    elif tree is not None and hasattr(tree, "isot"):  # astropy Time
        into[prefix] = str(tree.isot)


def _asdf_keys(path: Path) -> dict[str, object]:
    try:
        import asdf
    except ImportError:
        raise UnreadableReference("reading ASDF references needs the asdf package "
                                  "(pip install 'crds-deliver[asdf]')") from None
    load_extensions()
    with asdf.open(path, lazy_load=True, memmap=False) as af:
        values: dict[str, object] = {}
        meta = af.tree.get("roman", {}).get("meta", {})
        _flatten("ROMAN.META", meta, values)
        return values


def read_keys(path: Path) -> ReferenceKeys:
    """The keywords of the reference file at `path` (FITS or ASDF)."""
    try:
        if path.suffix.lower() == ".asdf":
            return ReferenceKeys(_asdf_keys(path))
        return ReferenceKeys(_fits_keys(path))
    except UnreadableReference:
        raise
    except Exception as exc:  # astropy and asdf raise many types for damaged files
        raise UnreadableReference(f"cannot read its keywords: {exc}") from None


def match_values(keys: ReferenceKeys, match_keys: tuple[str, ...]) -> tuple[str, ...]:
    """The conditioned values of `match_keys` (N/A for a missing keyword, as CRDS fills in)."""
    return tuple(condition(keys.get(key)) if keys.get(key) is not None else "N/A"
                 for key in match_keys)


def reference_useafter(keys: ReferenceKeys) -> str | None:
    for key in USEAFTER_KEYS:
        if (value := keys.values.get(key)) is not None:
            return useafter(value)
    return None
