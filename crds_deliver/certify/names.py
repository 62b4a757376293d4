"""What a reference file's name says about it.

CRDS trusts a reference's *name* over its header when the name decodes (an HST CDBS name or a
`<project>_<instrument>_<type>` name), so a misleading name selects the wrong rules. Decoding
names here lets preflight flag a name that disagrees with the header.
"""

from __future__ import annotations

from crds_deliver.certify._reftypes import REFTYPES

# The last character of an HST CDBS root names the instrument.
CDBS_INSTRUMENTS = {"j": "acs", "o": "stis", "n": "nicmos", "u": "wfpc2", "i": "wfc3",
                    "l": "cos", "m": "synphot"}
SYNPHOT_SUFFIXES = {"syn": "thruput", "th": "thermal", "tmt": "tmttab", "tmg": "tmgtab",
                    "tmc": "tmctab"}


def _kind_by_suffix(project: str, instrument: str, suffix: str) -> str | None:
    for kind, (kind_suffix, _filetype, _ext) in REFTYPES[project][instrument].items():
        if kind_suffix.lower() == suffix:
            return kind
    return None


def decode_name(name: str, project: str) -> tuple[str | None, str | None]:
    """(instrument, type) a file name states, or (None, None) when it says nothing.

    New-style `<project>_<instrument>_<type>[_...]` names for every project; CDBS names
    (`<root><instrument char>_<suffix>.fits`) for HST. Roman also has the SSC form
    `roman_wfi_<optical element>_<type>_<serial>`.
    """
    stem = name.lower().split(".", 1)[0]
    parts = stem.split("_")
    types = REFTYPES.get(project, {})
    if len(parts) >= 3 and parts[0] == project and parts[1] in types:
        instrument = parts[1]
        if parts[2] in types[instrument]:
            return instrument, parts[2]
        if project == "roman" and len(parts) >= 4 and parts[3] in types[instrument]:
            return instrument, parts[3]
        return instrument, None
    if project != "hst" or len(parts) < 2:
        return None, None
    suffix = parts[-1]
    if suffix in SYNPHOT_SUFFIXES and "_" in stem:
        return "synphot", SYNPHOT_SUFFIXES[suffix]
    instrument = CDBS_INSTRUMENTS.get(parts[0][-1:]) if parts[0] else None
    if instrument is None:
        return None, None
    kind = _kind_by_suffix("hst", instrument, "_".join(parts[1:]))
    return (instrument, kind) if kind else (None, None)
