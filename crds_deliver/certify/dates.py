"""USEAFTER and PEDIGREE grammars, anchored and calendar-checked.

CRDS's own validators match only a prefix (`Mar 21 2001 junk` passes the TPN check and fails
later on the server), so preflight is deliberately stricter: the whole value must match and
every date must exist. Each check returns None when the value is good, else the reason.
"""

from __future__ import annotations

import re
from datetime import date, datetime

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")

SYBASE_EXAMPLE = "Oct 01 1996 00:00:00"
_SYBASE = re.compile(
    r"^(?P<mon>[A-Za-z]{3,9})\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"(\s+(?P<h>\d{1,2}):(?P<m>\d{2})(:(?P<s>\d{2}))?(\s*(?P<ampm>[AaPp][Mm]))?)?$")
_JWST_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2}):(\d{2}))?$")
_SPACED_ISO = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_DASH_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SLASH_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")

SIMPLE_PEDIGREES = ("GROUND", "MODEL", "DUMMY", "SIMULATION")
HST_DATED_PEDIGREES = ("INFLIGHT", "GROUND", "MODEL", "DUMMY", "SIMULATION")
JWST_DATED_PEDIGREES = ("INFLIGHT", "MODEL")


def hst_useafter(value: str) -> str | None:
    """HST USEAFTER: the Sybase form `Mon DD YYYY [HH:MM[:SS] [am|pm]]`, a real date."""
    match = _SYBASE.match(value.strip())
    if not match:
        return f"'{value}' is not in the HST (Sybase) form '{SYBASE_EXAMPLE}'"
    word = match["mon"].lower()
    month = next((i + 1 for i, name in enumerate(_MONTH_NAMES) if name.startswith(word)), None)
    if month is None:
        return f"'{match['mon']}' is not a month name"
    hour = int(match["h"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return f"hour {hour} is not valid with am/pm"
        hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    try:
        datetime(int(match["year"]), month, int(match["day"]), hour, int(match["m"] or 0),
                 int(match["s"] or 0))
    except ValueError as exc:
        return f"'{value}' is not a real date/time: {exc}"
    return None


def jwst_useafter(value: str) -> tuple[str | None, bool]:
    """JWST/Roman USEAFTER. Returns (reason, only_a_warning): CRDS accepts a few loose forms
    with a warning, and rejects fractions, missing seconds and impossible dates."""
    text = value.strip()
    match = _JWST_DATE.match(text)
    if match:
        try:
            parts = [int(p) for p in match.group(1, 2, 3)]
            times = [int(p) for p in match.group(5, 6, 7)] if match[4] else [0, 0, 0]
            datetime(*parts, *times)
        except ValueError as exc:
            return f"'{value}' is not a real date/time: {exc}", False
        return None, False
    if _SPACED_ISO.match(text) or _SLASH_DATE.match(text) or hst_useafter(text) is None:
        return (f"non-compliant date format '{value}', should be 'YYYY-MM-DDTHH:MM:SS'", True)
    return f"'{value}' is not in the form 'YYYY-MM-DDTHH:MM:SS' (no fractions)", False


def _pedigree_date(text: str, allow_slash: bool) -> date | str:
    match = _DASH_DATE.match(text)
    if match:
        year, month, day = (int(p) for p in match.groups())
    else:
        match = _SLASH_DATE.match(text) if allow_slash else None
        if not match:
            form = "YYYY-MM-DD or DD/MM/YYYY" if allow_slash else "YYYY-MM-DD"
            return f"date '{text}' is not in the form {form} (no time part)"
        day, month, year = (int(p) for p in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        return f"date '{text}' does not exist: {exc}"


def pedigree(value: str, project: str) -> str | None:
    """PEDIGREE: a simple kind alone, or `<KIND> <start> <stop>` with start <= stop."""
    tokens = value.split()
    if not tokens:
        return "is blank"
    kind = tokens[0].upper()
    hst = project == "hst"
    if len(tokens) == 1:
        if kind in SIMPLE_PEDIGREES:
            return None
        if kind == "INFLIGHT":
            return "'INFLIGHT' needs a start and a stop date: 'INFLIGHT YYYY-MM-DD YYYY-MM-DD'"
        return f"'{value}' is not one of {', '.join(SIMPLE_PEDIGREES)} or a dated INFLIGHT"
    if len(tokens) != 3:
        return f"'{value}' must be one word or '<KIND> <start> <stop>'"
    kinds = HST_DATED_PEDIGREES if hst else JWST_DATED_PEDIGREES
    if kind not in kinds:
        return f"'{tokens[0]}' cannot be given with start and stop dates (only {', '.join(kinds)})"
    start, stop = (_pedigree_date(t, allow_slash=hst) for t in tokens[1:])
    for item in (start, stop):
        if isinstance(item, str):
            return item
    if start > stop:  # type: ignore[operator]
        return f"start date {tokens[1]} is after stop date {tokens[2]}"
    return None
