"""A FITS file's headers read without astropy, when they are plainly standard.

astropy's open, `verify("exception")` and card parsing cost about two thirds of plan's CPU for a
small reference file (a few milliseconds), and nearly every file delivered is unremarkable:
image HDUs whose cards are all in the FITS fixed or free format. Those are read here directly,
into the same `Header` that structure.py builds from astropy. Anything outside that plain
subset (tables, random groups, CONTINUE and HIERARCH cards, record-valued keywords, complex or
empty values, lone quotes in strings, BLANK, repeated keywords, trailing bytes, anything
astropy might warn about or fix) returns None, and astropy reads the file as before and says
what is wrong. The subset is checked against astropy by tests/certify/test_strict_header.py,
file by file and on mutated cards.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from crds_deliver.certify.layout import BLOCK, CARD, HduLayout, LayoutError, read_layout

_KEYWORD = re.compile(r"[A-Z0-9_-]{1,8} *")
_COMMENTARY = ("COMMENT", "HISTORY")
_NUMBER = re.compile(r"([+-]?)(\.\d+|\d+(?:\.\d*)?)([DE][+-]?\d+)?")
_AFTER_VALUE = re.compile(r" *(?:/.*)?")
# astropy reads a string like 'AXIS.1: 2' as a record-valued keyword card (a new keyword).
_RECORD_VALUED = re.compile(r"[a-zA-Z_]\w*(?:\.\d+)?(?:\.[a-zA-Z_]\w*(?:\.\d+)?)*: +[+-]?[.\d]")
_BITPIX = {8, 16, 32, 64, -32, -64}
# Keywords whose presence makes astropy do more than read a value (or that we leave to it).
_LEAVE_TO_ASTROPY = {"CONTINUE", "HIERARCH", "GROUPS", "BLANK", "TFIELDS", "THEAP", "ZIMAGE",
                     "ZTABLE", "INHERIT"}

Value = str | bool | int | float
Cards = list[tuple[str, Value]]  # (keyword, value) in order; "" for a blank keyword
PlainHdus = list[tuple[str, Cards]]  # each HDU's (name, cards)


def strict_header(path: Path, strip: bool = True, layout: list[HduLayout] | None = None
                  ) -> PlainHdus | None:
    """Each HDU's (name, cards), or None when any part of the file is outside the plain
    subset. `strip`: astropy's `conf.strip_header_whitespace` (trailing blanks of string
    values dropped). `layout`: the file's, when the caller has read it (its header bytes are
    then not read again)."""
    try:
        hdus = layout if layout is not None else read_layout(path)
        size = path.stat().st_size
    except (LayoutError, OSError):
        return None
    if hdus[-1].end != size:  # trailing fill: astropy may warn about it
        return None
    read: PlainHdus = []
    for hdu in hdus:
        if hdu.raw is None:  # an enormous header: astropy's
            return None
        cards = _cards(hdu.raw, strip)
        if cards is None or not _mandatory_in_place(cards, hdu.index, len(hdus)):
            return None
        read.append((_name(cards, hdu.index), cards))
    return read


def _name(cards: Cards, index: int) -> str:
    """astropy's `hdu.name`: EXTNAME, else PRIMARY for the first HDU and "" after it."""
    for keyword, value in cards:
        if keyword == "EXTNAME":
            return str(value)
    return "PRIMARY" if index == 0 else ""


def _cards(raw: bytes, strip: bool) -> Cards | None:
    """The header's cards up to END, commentary ones with their text; None when any card is
    outside the subset."""
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not text.isprintable():
        return None
    cards: Cards = []
    seen: set[str] = set()
    for start in range(0, len(text), CARD):
        image = text[start:start + CARD]
        if image[:8] == "END     ":
            rest = text[start + CARD:]
            if image != "END" + " " * (CARD - 3) or rest.strip() or \
                    len(text) - start > BLOCK:  # END in the header's last block, then blanks
                return None
            return cards
        parsed = _card(image, strip)
        if parsed is None:
            return None
        keyword, value = parsed
        if keyword not in _COMMENTARY and keyword:
            if keyword in seen:
                return None
            seen.add(keyword)
        cards.append(parsed)
    return None  # no END card (layout found one, so this cannot happen on unchanged bytes)


# Parsed cards by their 80 characters: a delivery's files mostly share them (the same
# keywords with the same values), and a look-up costs a tenth of parsing one.
@lru_cache(maxsize=16384)
def _card(image: str, strip: bool) -> tuple[str, Value] | None:
    field = image[:8]
    keyword = field.rstrip()
    if not keyword:
        return "", image[8:].rstrip()  # blank keyword: commentary
    if not _KEYWORD.fullmatch(field) or keyword in _LEAVE_TO_ASTROPY:
        return None
    if keyword in _COMMENTARY:
        return keyword, image[8:].rstrip()
    if image[8:10] != "= ":
        return None
    value = _value(image[10:].lstrip(" "), strip)
    return None if value is None else (keyword, value)


def _value(text: str, strip: bool) -> Value | None:
    """The value of a card's value field (comment included), as astropy parses it."""
    if text.startswith("'"):
        return _string(text, strip)
    if text[:1] in ("T", "F") and _AFTER_VALUE.fullmatch(text[1:]):
        return text[0] == "T"
    number = _NUMBER.match(text)
    if number is None or not _AFTER_VALUE.fullmatch(text[number.end():]):
        return None
    sign, digits, exponent = number.groups()
    literal = sign + digits + (exponent or "").replace("D", "E")
    if "." not in digits and not exponent:
        return int(literal)
    return float(literal)


def _string(text: str, strip: bool) -> str | None:
    """A quoted string: closed by the first quote followed by nothing, blanks or a comment,
    with doubled quotes inside; a lone quote inside, or a record-valued form, is left to
    astropy."""
    for end in range(1, len(text)):
        if text[end] == "'" and _AFTER_VALUE.fullmatch(text[end + 1:]):
            inner = text[1:end]
            if "'" in inner.replace("''", "") or _RECORD_VALUED.match(inner.lstrip()):
                return None
            value = inner.replace("''", "'")
            return value.rstrip() if strip else value
    return None


def _mandatory_in_place(cards: Cards, index: int, count: int) -> bool:
    """The mandatory keywords of a primary or IMAGE extension header in their places, with
    standard values, as astropy's verify wants them; no other NAXISn."""
    keys = [keyword for keyword, _value in cards]

    def at(position: int, keyword: str) -> Value | None:
        if position < len(cards) and keys[position] == keyword:
            return cards[position][1]
        return None

    if index == 0 and at(0, "SIMPLE") is not True:
        return False
    if index > 0 and at(0, "XTENSION") != "IMAGE":
        return False
    bitpix, naxis = at(1, "BITPIX"), at(2, "NAXIS")
    if not (_is_int(bitpix) and bitpix in _BITPIX and _is_int(naxis) and 0 <= naxis <= 999):
        return False
    axes = [at(2 + axis, f"NAXIS{axis}") for axis in range(1, naxis + 1)]
    if not all(_is_int(length) and length >= 0 for length in axes):
        return False
    named = {f"NAXIS{axis}" for axis in range(1, naxis + 1)} | {"NAXIS"}
    if any(key.startswith("NAXIS") and key not in named for key in keys):
        return False
    after_axes = 3 + naxis
    if index > 0:
        pcount, gcount = at(after_axes, "PCOUNT"), at(after_axes + 1, "GCOUNT")
        return _is_int(pcount) and pcount == 0 and _is_int(gcount) and gcount == 1
    extend = at(after_axes, "EXTEND")
    if "EXTEND" in keys and not isinstance(extend, bool):
        return False  # present but out of place, or not a logical
    return count == 1 or extend is True  # extensions need EXTEND = T in the primary


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
