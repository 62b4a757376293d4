"""FITS structure and standard conformance, checked on the headers only.

Data are never loaded here (the checksums are verified while streaming, see checksums.py), so
a multi-GB file costs the same memory as a small one. What comes back is the union of the
cards of all HDUs, first value wins, which is how CRDS reads a reference's keywords.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crds_deliver.certify.findings import Finding, error, warning
from crds_deliver.certify.layout import HduLayout
from crds_deliver.certify.strict_header import PlainHdus, strict_header

if TYPE_CHECKING:  # astropy is imported when a file needs it (see check_structure)
    from astropy.io import fits

_COMMENTARY = ("COMMENT", "HISTORY")
# HDUs a reference file may have before it is refused unread: real ones have a handful, and
# each HDU costs astropy time and memory (100 000 of them took minutes and gigabytes).
MAX_HDUS = 1000

# warnings.catch_warnings swaps process-wide state: files certified in parallel threads must
# take turns while warnings are captured, or one file's warning lands on another's findings.
WARNINGS_LOCK = threading.RLock()


@dataclass
class Header:
    """Keyword -> (value, HDU index) over all HDUs; COMMENT and HISTORY lines joined."""

    values: dict[str, tuple[Any, int | str | None]] = field(default_factory=dict)
    hdu_names: list[str] = field(default_factory=list)
    # The strict reading this header was made from (strict_header.py, trailing blanks
    # stripped), None for astropy's or ASDF's: crds's certifier takes it instead of reading
    # the file's headers again (plain_fits.py).
    plain: PlainHdus | None = None

    def get(self, keyword: str) -> Any:
        """The value, or None when absent, blank or UNDEFINED (CRDS counts those as missing)."""
        item = self.values.get(keyword)
        if item is None:
            return None
        value = item[0]
        if isinstance(value, str) and value.strip().upper() in ("", "UNDEFINED"):
            return None
        return value

    def keywords(self) -> dict[str, Any]:
        """Keyword -> value, without the COMMENT and HISTORY text (what rmaps match on)."""
        return {key: item[0] for key, item in self.values.items() if key not in _COMMENTARY}

    def hdu_of(self, keyword: str) -> int | str | None:
        item = self.values.get(keyword)
        return item[1] if item else None


def union_of(hdus: Iterable[tuple[str, Iterable[tuple[str, Any]]]]) -> Header:
    """The Header of (HDU name, (keyword, value) cards) in file order, from either reading."""
    header = Header()
    for index, (hdu_name, cards) in enumerate(hdus):
        header.hdu_names.append(hdu_name)
        for key, value in cards:
            if not key:
                continue
            if key in _COMMENTARY:
                old = header.values.get(key)
                text = str(value)
                header.values[key] = ((old[0] + "\n" + text) if old else text,
                                      old[1] if old else index)
            elif key not in header.values:
                header.values[key] = (value, index)
    return header


def _astropy_cards(hdulist: fits.HDUList) -> Iterator[tuple[str, Iterator[tuple[str, Any]]]]:
    for hdu in hdulist:
        yield str(hdu.name), _readable(hdu.header.cards)


def _readable(cards: Iterable[fits.Card]) -> Iterator[tuple[str, Any]]:
    """(keyword, value) of each card whose value astropy can parse."""
    from astropy.io.fits.verify import VerifyError

    for card in cards:
        try:
            value = card.value
        except (VerifyError, ValueError):
            continue
        yield card.keyword, value


def _more_hdus_than(hdulist: fits.HDUList, limit: int) -> bool:
    """Read HDUs one by one (the list is lazy) and stop after `limit` + 1."""
    try:
        hdulist[limit]
    except IndexError:
        return False
    return True


def check_structure(path: Path, name: str, layout: list[HduLayout] | None = None
                    ) -> tuple[Header | None, list[Finding]]:
    """Read the headers and verify them against the FITS standard; None when unusable.

    Plainly standard headers are read directly (strict_header.py, from `layout`'s header
    bytes when given), with astropy's default of stripping trailing blanks from strings, as
    the CRDS server reads them; astropy is then not even imported (0.6 s of a plan's start-up
    without the crds extra). Every other file is opened and verified by astropy. A
    verification failure stops the keyword checks for the file, as in CRDS: the values of a
    non-standard header cannot be trusted.
    """
    plain = strict_header(path, layout=layout)
    if plain is not None and len(plain) <= MAX_HDUS:
        header, findings = union_of(plain), []
        header.plain = plain
    else:
        header, findings = astropy_structure(path, name)
        if header is None:
            return None, findings
    for index, hdu_name in enumerate(header.hdu_names):
        if hdu_name.upper() == "ASDF":
            findings.append(error(name, "FITS files must not include an ASDF extension "
                                        "(CRDS rejects them)", hdu=index))
    return header, findings


def astropy_structure(path: Path, name: str) -> tuple[Header | None, list[Finding]]:
    """The headers as astropy opens and verifies them, with what it warned about: the
    reading for every file outside strict_header.py's subset (and its reference in tests)."""
    from astropy.io import fits
    from astropy.io.fits.verify import VerifyError

    findings: list[Finding] = []
    with WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with fits.open(path, memmap=True, lazy_load_hdus=True, checksum=False,
                           ignore_missing_end=False) as hdulist:
                if _more_hdus_than(hdulist, MAX_HDUS):
                    findings.append(error(name, f"more than {MAX_HDUS} HDUs; a reference "
                                                "file has a few (checking stopped there)"))
                    return None, findings
                try:
                    hdulist.verify("exception")
                except VerifyError as exc:
                    detail = " ".join(str(exc).split())
                    findings.append(error(name, f"not FITS standard: {detail}"))
                    return None, findings
                header = union_of(_astropy_cards(hdulist))
        except (OSError, ValueError, VerifyError) as exc:
            findings.append(error(name, f"astropy cannot read the file: {exc}"))
            return None, findings
    for item in caught:
        text = " ".join(str(item.message).split())
        if "truncated" in text:
            findings.append(error(name, text))
        elif "checksum" not in text.lower() and "datasum" not in text.lower():
            findings.append(warning(name, f"astropy: {text}"))
    return header, findings
