"""Official CRDS file names and their serial numbers.

CRDS names references `<obs>_<instr>_<filekind>_<NNNN>.<ext>` and rules `<obs>_<NNNN>.pmap`,
`<obs>_<instr>_<NNNN>.imap`, `<obs>_<instr>_<filekind>_<NNNN>.rmap`. A new file takes the next
free serial of its family (one past the highest serial ever used, pending ones included), so
serials need not be consecutive across families, as on the real server.
"""

from __future__ import annotations

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
