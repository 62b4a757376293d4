"""Small FITS files written card by card: the sandbox's seed references.

Every byte of a seed is known in advance (zeros under a fixed header), yet writing the seeds
with astropy imported astropy.io.fits into every sandbox process: about 0.27 s, most of what a
sandbox costs to start, and nothing else in the sandbox needs it (certification reads plainly
standard headers without astropy, strict_header.py). This writer does what the seeds need and
no more: fixed-format cards (logical, integer, real, string), IMAGE extensions from numpy
arrays (unsigned integers stored with BZERO, as FITS requires), binary tables of 32-bit
integer and character columns, and the CHECKSUM and DATASUM of the FITS checksum convention.
tests/sandbox/test_fits_writer.py reads what it writes back with astropy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from crds_deliver.certify.checksums import encoded_checksum, word_sum
from crds_deliver.certify.layout import BLOCK, CARD

_ZERO_CHECKSUM = "0" * 16
_BITPIX = {"uint8": 8, "int16": 16, "int32": 32, "int64": 64, "float32": -32,
           "float64": -64}
# Unsigned integers are stored as the signed type of their width, offset by BZERO.
_UNSIGNED = {"uint16": ("int16", 2**15), "uint32": ("int32", 2**31)}

Value = bool | int | float | str  # what a card holds here


def card(key: str, value: Value, comment: str = "") -> bytes:
    """One 80-character card in the fixed format; a value that does not fit is an error,
    never cut."""
    if isinstance(value, bool):
        shown = f"{'T' if value else 'F':>20}"
    elif isinstance(value, int):
        shown = f"{value:>20}"
    elif isinstance(value, float):
        digits = repr(value).upper()  # FITS wants a point or an exponent in a real
        shown = f"{digits if '.' in digits or 'E' in digits else digits + '.0':>20}"
    else:
        quoted = "'" + value.replace("'", "''").ljust(8) + "'"
        shown = f"{quoted:<20}"
    text = f"{key:<8}= {shown}"
    if len(key) > 8 or len(text) > CARD:
        raise ValueError(f"FITS card {key}: {value!r} does not fit in {CARD} characters")
    if comment:
        text += f" / {comment}"
    return text[:CARD].ljust(CARD).encode("ascii")  # only a long comment is shortened


def history(text: str) -> bytes:
    """A HISTORY card (commentary: no value, no quotes)."""
    if len(text) > CARD - 8:
        raise ValueError(f"HISTORY text longer than {CARD - 8} characters: {text!r}")
    return f"HISTORY {text}".ljust(CARD).encode("ascii")


def header_bytes(cards: Sequence[bytes]) -> bytes:
    """The cards, END, and blanks to the end of the block."""
    data = b"".join(cards) + b"END".ljust(CARD)
    return data + b" " * (-len(data) % BLOCK)


@dataclass(frozen=True)
class Column:
    """A binary-table column: 32-bit integers (format J) or fixed-width text (nA)."""

    name: str
    format: str
    values: Sequence[int | str]


def _hdu(cards: list[bytes], data: bytes) -> bytes:
    """Header and padded data with CHECKSUM and DATASUM: the header is summed with a
    CHECKSUM of zeros, which the encoded complement then replaces (same length)."""
    padded = data + b"\0" * (-len(data) % BLOCK)
    data_sum = word_sum(padded)
    header = header_bytes([*cards, card("CHECKSUM", _ZERO_CHECKSUM, "HDU checksum"),
                           card("DATASUM", str(data_sum), "data unit checksum")])
    encoded = encoded_checksum(header, data_sum)
    return header.replace(f"'{_ZERO_CHECKSUM}'".encode(), f"'{encoded}'".encode(), 1) + padded


def primary_hdu(keywords: dict[str, Value], history_text: str = "") -> bytes:
    """A primary HDU without data."""
    cards = [card("SIMPLE", True, "conforms to FITS standard"),
             card("BITPIX", 8, "array data type"), card("NAXIS", 0, "number of array dimensions"),
             card("EXTEND", True)]
    cards += [card(key, value) for key, value in keywords.items()]
    if history_text:
        cards.append(history(history_text))
    return _hdu(cards, b"")


def image_hdu(name: str, array: np.ndarray) -> bytes:
    """An IMAGE extension holding `array` (big-endian, unsigned types offset by BZERO)."""
    stored, zero = _UNSIGNED.get(array.dtype.name, (array.dtype.name, 0))
    values = (array.astype(np.int64) - zero).astype(stored) if zero else array
    cards = [card("XTENSION", "IMAGE", "Image extension"),
             card("BITPIX", _BITPIX[stored], "array data type"),
             card("NAXIS", array.ndim, "number of array dimensions")]
    cards += [card(f"NAXIS{axis + 1}", size) for axis, size in enumerate(array.shape[::-1])]
    cards += [card("PCOUNT", 0, "number of parameters"), card("GCOUNT", 1, "number of groups")]
    if zero:
        cards += [card("BSCALE", 1), card("BZERO", zero)]
    cards.append(card("EXTNAME", name, "extension name"))
    return _hdu(cards, values.astype(values.dtype.newbyteorder(">")).tobytes())


def table_hdu(name: str, columns: Sequence[Column]) -> bytes:
    """A BINTABLE extension of `columns`, all of the same length."""
    rows = len(columns[0].values)
    widths = [4 if column.format == "J" else int(column.format[:-1]) for column in columns]
    cards = [card("XTENSION", "BINTABLE", "binary table extension"),
             card("BITPIX", 8, "array data type"), card("NAXIS", 2, "number of array dimensions"),
             card("NAXIS1", sum(widths), "length of dimension 1"),
             card("NAXIS2", rows, "length of dimension 2"),
             card("PCOUNT", 0, "number of group parameters"),
             card("GCOUNT", 1, "number of groups"),
             card("TFIELDS", len(columns), "number of table fields")]
    for number, column in enumerate(columns, 1):
        cards += [card(f"TTYPE{number}", column.name), card(f"TFORM{number}", column.format)]
    cards.append(card("EXTNAME", name, "extension name"))
    data = bytearray()
    for row in range(rows):
        for column, width in zip(columns, widths, strict=True):
            value = column.values[row]
            data += (int(value).to_bytes(4, "big", signed=True) if column.format == "J"
                     else str(value).encode("ascii").ljust(width, b"\0")[:width])
    return _hdu(cards, bytes(data))
