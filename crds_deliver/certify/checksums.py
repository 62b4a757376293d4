"""FITS CHECKSUM/DATASUM: verified from chunks as the file is streamed, and encoded for writing.

The CRDS server runs fitsverify and rejects a file whose checksums do not match, so preflight
treats a mismatch as an error. The sums are the FITS 32-bit ones'-complement sums over each
HDU's header and data blocks; they are accumulated from the same chunks that feed the sha1 and
sha256 digests, so verifying costs no extra read. `encoded_checksum` writes the other half of
the convention: the CHECKSUM value of an HDU (the sandbox's seed files, sandbox/fits_writer.py).

numpy is imported by the first sum, not with this module: its import (about 0.15 s) then runs
in the thread of a large file's sums while the digests of the same file go on (files.py),
instead of before plan's first read.
"""

from __future__ import annotations

from crds_deliver.certify.layout import HduLayout

_MASK = 0xFFFFFFFF


def _fold(total: int) -> int:
    while total >> 32:
        total = (total & _MASK) + (total >> 32)
    return total


def word_sum(data: bytes) -> int:
    """The 32-bit ones'-complement sum of `data` (a whole number of 4-byte words)."""
    import numpy as np

    return _fold(int(np.frombuffer(data, dtype=">u4").sum(dtype=np.uint64)))


def encoded_checksum(header: bytes, data_sum: int) -> str:
    """The 16 characters of an HDU's CHECKSUM card, from its header (with a CHECKSUM of
    sixteen zeros, which these characters then replace: the same length) and its DATASUM."""
    return _encoded(~_fold(word_sum(header) + data_sum) & _MASK)


def _encoded(value: int) -> str:
    """The 16 characters of a CHECKSUM card for `value` (the complement of the HDU's sum):
    each byte spread over four characters in 0-9A-Za-z, rotated by one (FITS checksum
    convention, Seaman, Pence and Rots)."""
    excluded = set(range(0x3A, 0x41)) | set(range(0x5B, 0x61))
    chars = [0] * 16
    for index in range(4):
        byte = (value >> (24 - 8 * index)) & 0xFF
        quarter = [byte // 4 + 0x30] * 4
        quarter[0] += byte % 4
        clashing = True
        while clashing:
            clashing = False
            for pair in (0, 2):
                if quarter[pair] in excluded or quarter[pair + 1] in excluded:
                    quarter[pair] += 1
                    quarter[pair + 1] -= 1
                    clashing = True
        for position in range(4):
            chars[4 * position + index] = quarter[position]
    return bytes(chars[15:] + chars[:15]).decode("ascii")


class FitsSums:
    """Receives the file's bytes in order (`update`) and sums each header and data area."""

    def __init__(self, layout: list[HduLayout]) -> None:
        self.layout = layout
        # (start, end, hdu index, is_data) for the HDUs that carry CHECKSUM or DATASUM.
        self._segments = [
            seg for hdu in layout if "CHECKSUM" in hdu.cards or "DATASUM" in hdu.cards
            for seg in ((hdu.header_offset, hdu.data_offset, hdu.index, False),
                        (hdu.data_offset, hdu.end, hdu.index, True))
            if seg[1] > seg[0]
        ]
        self._sums: dict[tuple[int, bool], int] = {}
        self._next = 0

    def update(self, chunk: memoryview, offset: int) -> None:
        """Add the bytes of `chunk`, which starts at `offset` in the file."""
        import numpy as np  # here, not above: see the module's docstring

        end = offset + len(chunk)
        segments = self._segments
        index = self._next
        while index < len(segments) and segments[index][0] < end:
            start, stop, hdu, is_data = segments[index]
            lo, hi = max(start, offset), min(stop, end)
            if hi > lo:
                words = np.frombuffer(chunk[lo - offset:hi - offset], dtype=">u4")
                key = (hdu, is_data)
                self._sums[key] = self._sums.get(key, 0) + int(words.sum(dtype=np.uint64))
            if stop > end:
                break
            index += 1
        self._next = index

    def mismatches(self) -> list[tuple[int, str, str]]:
        """(hdu, keyword, message) for every CHECKSUM or DATASUM that does not match."""
        found = []
        for hdu in self.layout:
            data = _fold(self._sums.get((hdu.index, True), 0))
            if "DATASUM" in hdu.cards:
                written = hdu.cards["DATASUM"].strip()
                if not written.isdigit() or int(written) != data:
                    found.append((hdu.index, "DATASUM",
                                  f"DATASUM '{written}' does not match the data (computed "
                                  f"{data}): the data changed after the checksum was written"))
            if "CHECKSUM" in hdu.cards:
                total = _fold(self._sums.get((hdu.index, False), 0) + data)
                if total != _MASK:
                    found.append((hdu.index, "CHECKSUM",
                                  "CHECKSUM does not match the HDU: the header or data changed "
                                  "after the checksum was written"))
        return found
