"""The rmap "case" a reference would occupy: its match keyword values and its USEAFTER.

Two references of the same type with the same case would replace each other when CRDS inserts
them into the rmap, and the server rejects the delivery. The match keywords come from the
type's spec (the rmap can add a few, so a shared case is reported as a warning, not an error).
"""

from __future__ import annotations

from crds_deliver.certify._parkeys import PARKEYS
from crds_deliver.certify.structure import Header

Case = tuple[tuple[str, str], ...]

# JWST data-model names of the match keywords -> their FITS keywords.
JWST_FITS_NAMES = {
    "META.EXPOSURE.TYPE": "EXP_TYPE", "META.INSTRUMENT.EXP_TYPE": "EXP_TYPE",
    "META.SUBARRAY.NAME": "SUBARRAY", "META.VISIT.TYPE": "VISITYPE",
    "META.INSTRUMENT.LAMP_MODE": "LAMPMODE", "META.INSTRUMENT.LAMP_STATE": "LAMP",
    "META.VISIT.CROWDED_FIELD": "CROWDFLD", "META.INSTRUMENT.CORONAGRAPH": "CORONMSK",
    "META.CALIBRATION_SOFTWARE_VERSION": "CAL_VER",
}
USEAFTER_KEYS = ("USEAFTER", "ROMAN.META.USEAFTER", "META.USEAFTER")


def _value(header: Header, key: str) -> str:
    for name in (key, JWST_FITS_NAMES.get(key), key.rsplit(".", 1)[-1][:8]):
        if name and (value := header.get(name)) is not None:
            return str(value).strip().upper()
    return "N/A"


def rmap_case(header: Header | None, project: str, instrument: str | None,
              reftype: str | None) -> Case | None:
    """(keyword, value) pairs of the match keywords plus USEAFTER; None when unknown."""
    if header is None or not instrument or not reftype:
        return None
    keys = PARKEYS.get(project, {}).get(instrument, {}).get(reftype)
    if keys is None:
        return None
    case = [(JWST_FITS_NAMES.get(key, key.rsplit(".", 1)[-1]), _value(header, key))
            for key in keys]
    useafter = next((str(v) for k in USEAFTER_KEYS if (v := header.get(k)) is not None), "N/A")
    return (*case, ("USEAFTER", useafter.strip()))
