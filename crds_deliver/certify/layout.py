"""Where each HDU of a FITS file lies, read from its header blocks only.

Checksums are verified while the file is hashed (one read for digests and checksums), so the
byte ranges of every header and data area must be known before that read. Reading just the
2880-byte header blocks and seeking over the data keeps this cheap for multi-GB files, and
finds truncation without touching the data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

BLOCK = 2880
CARD = 80
MAX_HEADER_BLOCKS = 10_000  # a header larger than ~29 MB is not a real reference file
KEEP_HEADER_BYTES = 1_000_000  # header bytes kept per file for strict_header.py


class LayoutError(ValueError):
    """The file is not FITS, or its structure cannot be followed to the end."""


@dataclass(frozen=True)
class HduLayout:
    """Byte ranges of one HDU (data_size includes the fill up to a whole block)."""

    index: int
    header_offset: int
    header_size: int
    data_size: int
    cards: dict[str, str]  # raw value text of the few structural and checksum keywords
    # The header's blocks as read, for strict_header.py (None past KEEP_HEADER_BYTES in all).
    raw: bytes | None = None

    @property
    def data_offset(self) -> int:
        return self.header_offset + self.header_size

    @property
    def end(self) -> int:
        return self.data_offset + self.data_size


def _value(card: bytes) -> str:
    text = card[10:].decode("ascii", "replace")
    if text.lstrip().startswith("'"):
        body = text.lstrip()[1:]
        return body.split("'", 1)[0].strip()
    return text.split("/", 1)[0].strip()


def _padded(size: int) -> int:
    return (size + BLOCK - 1) // BLOCK * BLOCK


def _data_bytes(cards: dict[str, str]) -> int:
    try:
        bitpix = abs(int(cards.get("BITPIX", "")))
        naxis = int(cards.get("NAXIS", ""))
        pcount = int(cards.get("PCOUNT", "0") or 0)
        gcount = int(cards.get("GCOUNT", "1") or 1)
        axes = [int(cards.get(f"NAXIS{i}", "")) for i in range(1, naxis + 1)]
    except ValueError as exc:
        raise LayoutError(f"unreadable structural keyword ({exc})") from None
    if naxis == 0:
        return 0
    count = 1
    # Random groups (NAXIS1 = 0) count from the second axis.
    for axis in (axes[1:] if axes and axes[0] == 0 else axes):
        count *= axis
    return bitpix // 8 * gcount * (pcount + count)


_WANTED = {key.encode().ljust(8) for key in ("BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "XTENSION",
                                             "EXTNAME", "CHECKSUM", "DATASUM")}
_END = b"END     "


def read_layout(path: Path) -> list[HduLayout]:
    """Every HDU's byte ranges. Raises LayoutError (not FITS, no END card, truncated)."""
    with path.open("rb") as handle:
        return layout_of(handle)


def layout_of(handle: BinaryIO) -> list[HduLayout]:
    """read_layout of a file open for reading (from any position), or of its bytes in a
    BytesIO."""
    size = handle.seek(0, os.SEEK_END)
    hdus: list[HduLayout] = []
    kept = 0
    offset = 0
    while offset < size:
        handle.seek(offset)
        cards: dict[str, str] = {}
        blocks = 0
        ended = False
        raw: list[bytes] = []
        while not ended:
            block = handle.read(BLOCK)
            if blocks == 0 and offset == 0 and not block.startswith(b"SIMPLE  ="):
                raise LayoutError("not a FITS file (it does not start with SIMPLE =)")
            if len(block) < BLOCK:
                raise LayoutError(f"HDU {len(hdus)}: the header is cut short (no END card "
                                  "before the end of the file): the file is truncated")
            if blocks == 0 and offset > 0 and not block.startswith(b"XTENSION="):
                # Trailing bytes after the last HDU: CRDS and astropy ignore zero fill.
                if block.strip(b"\0 "):
                    raise LayoutError(f"unexpected bytes after HDU {len(hdus) - 1} at "
                                      f"offset {offset} (not an extension header)")
                return hdus
            if blocks > 0 and block.startswith(b"XTENSION="):
                raise LayoutError(f"HDU {len(hdus)}: the header has no END card (the next "
                                  "extension header follows without one)")
            blocks += 1
            if blocks > MAX_HEADER_BLOCKS:
                raise LayoutError(f"HDU {len(hdus)}: no END card in the header")
            raw.append(block)
            for start in range(0, BLOCK, CARD):
                key = block[start:start + 8]
                if key == _END:
                    ended = True
                    break
                if key in _WANTED or key.startswith(b"NAXIS"):
                    cards.setdefault(key.decode("ascii", "replace").strip(),
                                     _value(block[start:start + CARD]))
        header_size = blocks * BLOCK
        kept += header_size
        data_size = _padded(_data_bytes(cards))
        hdu = HduLayout(len(hdus), offset, header_size, data_size, cards,
                        b"".join(raw) if kept <= KEEP_HEADER_BYTES else None)
        if hdu.end > size:
            raise LayoutError(f"HDU {hdu.index}: the file is truncated: it is {size} bytes, "
                              f"the headers say {hdu.end}")
        hdus.append(hdu)
        offset = hdu.end
    if not hdus:
        raise LayoutError("the file is empty")
    return hdus
