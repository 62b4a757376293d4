"""Official CRDS file names and their serial numbers.

CRDS names references `<obs>_<instr>_<filekind>_<NNNN>.<ext>` and rules `<obs>_<NNNN>.pmap`,
`<obs>_<instr>_<NNNN>.imap`, `<obs>_<instr>_<filekind>_<NNNN>.rmap`. A new file takes the next
free serial of its family (one past the highest serial ever used, pending ones included), so
serials need not be consecutive across families, as on the real server.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

# Names a client may upload: what the real server accepts, minus spaces (kept out of paths).
UPLOAD_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")

_SERIAL_RE = re.compile(r"^(?P<stem>.+)_(?P<serial>\d{4,})\.(?P<ext>[A-Za-z0-9]+)$")


def family(name: str) -> tuple[str, str] | None:
    """(stem, extension) of a serial-numbered name, e.g. ('jwst_miri_dark', 'fits'); else None."""
    match = _SERIAL_RE.match(name)
    if not match:
        return None
    return match["stem"], match["ext"]


def serial(name: str) -> int | None:
    match = _SERIAL_RE.match(name)
    return int(match["serial"]) if match else None


def next_name(stem: str, ext: str, taken: Iterable[str]) -> str:
    """The next free `<stem>_<NNNN>.<ext>` given every name already taken (any family)."""
    highest = 0
    for name in taken:
        if family(name) == (stem, ext):
            highest = max(highest, serial(name) or 0)
    return f"{stem}_{highest + 1:04d}.{ext}"


def reference_stem(project: str, instrument: str, filekind: str) -> str:
    return f"{project}_{instrument.lower()}_{filekind.lower()}"


def extension(filename: str) -> str:
    """The extension without the dot ('fits', 'asdf', 'r0h'...)."""
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


# CDBS instrument characters of HST unique names (crds.hst.siname), the 9th character.
HST_ID_CHARS = {"acs": "j", "stis": "o", "nicmos": "n", "wfpc2": "u", "wfc3": "i", "cos": "l",
                "synphot": "m"}
_BASE36_YEAR = "abcdefghijklmnopqrstuvwxyz0123456789"  # 'a' = 1990, wraps after 2025
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def cdbs_timestamp(when: dt.datetime) -> str:
    """The 8-character time part of an enhanced CDBS-style name (crds uniqname's scheme):
    year, month, day in base 36, hour and minute in decimal, seconds in 2 s steps."""
    half = when.second // 2
    second = chr(ord("0") + half) if half < 10 else chr(ord("a") + half - 10)
    return (_BASE36_YEAR[(when.year - 1990) % 36] + _BASE36[when.month] + _BASE36[when.day]
            + f"{when.hour:02d}{when.minute:02d}" + second)


def cdbs_name(instrument: str, suffix: str, ext: str, when: dt.datetime) -> str:
    """An HST unique name such as 'abu0020ki_bia.fits' for a time, instrument and suffix."""
    return f"{cdbs_timestamp(when)}{HST_ID_CHARS[instrument.lower()]}_{suffix}{ext}"


def next_cdbs_name(instrument: str, suffix: str, ext: str, when: dt.datetime,
                   taken: Iterable[str]) -> str:
    """The first CDBS-style name from `when` on (2 s steps) that is not taken."""
    used = set(taken)
    while (name := cdbs_name(instrument, suffix, ext, when)) in used:
        when += dt.timedelta(seconds=2)
    return name
