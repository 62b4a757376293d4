"""The parity corpus: reference files of HST, JWST and Roman, a third valid, the others each with
one realistic defect (the kinds CRDS rejects in real deliveries), written with the test fixtures.

Each case says what it is; whether it is acceptable is not written here: the real `crds certify`
decides (tests/parity/test_parity.py), and `plan` must agree. Regenerate anywhere with
`python -m tests.parity.corpus FOLDER`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from tests.fixtures.examples import EXAMPLES, HST_EXAMPLE, JWST_EXAMPLES, ROMAN_EXAMPLE
from tests.fixtures.fits import (
    write_hst_ref,
    write_jwst_ref,
    write_nircam_dark,
    write_roman_ref,
)


@dataclass(frozen=True)
class Case:
    """One corpus file: its project, its name, and how to write it into a folder."""

    name: str
    project: str
    defect: str | None  # None: meant to be a valid reference
    write: Callable[[Path], Path]


HST_NAME = "a1b2c3d4i_bia.fits"
JWST_NAME = "jwst_miri_dark_0001.fits"
ROMAN_NAME = "roman_wfi_dark_0001.asdf"

COS_DEAD: dict[str, Any] = {
    "TELESCOP": "HST", "INSTRUME": "COS", "FILETYPE": "DEADTIME REFERENCE TABLE",
    "DETECTOR": "FUV", "VCALCOS": "2.0", "USEAFTER": "Oct 01 1996 00:00:00",
    "PEDIGREE": "INFLIGHT 01/10/1996 31/12/1996", "DESCRIP": "COS FUV deadtime table",
    "COMMENT": "Made by the crds-deliver parity suite", "HISTORY": "Parity suite file",
}


def _cos_dead(path: Path, overrides: dict[str, Any] | None = None,
              segments: tuple[str, ...] | None = ("FUVA", "FUVB")) -> Path:
    """A COS DEADTAB: primary header and a table with a SEGMENT column (or none)."""
    primary = fits.PrimaryHDU()
    for key, value in {**COS_DEAD, **(overrides or {})}.items():
        if value is None:
            continue
        if key == "COMMENT":
            primary.header.add_comment(value)
        elif key == "HISTORY":
            primary.header.add_history(value)
        else:
            primary.header[key] = value
    rows = len(segments or ("x", "y"))
    columns = [fits.Column("OBSRATE", "E", array=np.linspace(0, 1e4, rows)),
               fits.Column("LIVETIME", "E", array=np.ones(rows))]
    if segments:
        columns.insert(0, fits.Column("SEGMENT", "4A", array=list(segments)))
    table = fits.BinTableHDU.from_columns(columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.HDUList([primary, table]).writeto(path, checksum=True, overwrite=True)
    return path


def _flip_data_byte(path: Path) -> Path:
    """Change one byte of the last HDU's data after the checksums were written."""
    data = bytearray(path.read_bytes())
    data[-2881] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def _replace_card(path: Path, keyword: str, card: str) -> Path:
    data = path.read_bytes()
    at = data.index(keyword.ljust(8).encode())
    path.write_bytes(data[:at] + card.ljust(80).encode() + data[at + 80:])
    return path


def _hst(overrides: dict[str, Any] | None = None, name: str = HST_NAME) -> Callable[[Path], Path]:
    return lambda folder: write_hst_ref(folder / name, overrides)


def _cos(overrides: dict[str, Any] | None = None, name: str = "zzzzzzzzl_dead.fits",
         **kw: Any) -> Callable[[Path], Path]:
    return lambda folder: _cos_dead(folder / name, overrides, **kw)


def _jwst(overrides: dict[str, Any] | None = None, name: str = JWST_NAME,
          **kw: Any) -> Callable[[Path], Path]:
    return lambda folder: write_jwst_ref(folder / name, overrides, **kw)


def _roman(meta: dict[str, Any] | None = None, name: str = ROMAN_NAME,
           **kw: Any) -> Callable[[Path], Path]:
    return lambda folder: write_roman_ref(folder / name, meta, **kw)


def _example(relative: str) -> Callable[[Path], Path]:
    return lambda folder: EXAMPLES / relative


def _miri_2d_sci(folder: Path) -> Path:
    """A MIRI dark whose SCI is 2-D while ERR and DQ stay 4-D."""
    path = write_jwst_ref(folder / JWST_NAME)
    with fits.open(path) as hdus:
        hdus = fits.HDUList([hdu.copy() for hdu in hdus])
    hdus["SCI"].data = hdus["SCI"].data[0, 0]
    hdus.writeto(path, overwrite=True, checksum=True)
    return path


def _miri_without(extension: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = write_jwst_ref(folder / JWST_NAME)
        with fits.open(path) as hdus:
            kept = fits.HDUList([hdu.copy() for hdu in hdus if hdu.name != extension])
        kept.writeto(path, overwrite=True, checksum=True)
        return path
    return write


def _miri_sci_dtype(dtype: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = write_jwst_ref(folder / JWST_NAME)
        with fits.open(path) as hdus:
            hdus = fits.HDUList([hdu.copy() for hdu in hdus])
        hdus["SCI"].data = hdus["SCI"].data.astype(dtype)
        hdus.writeto(path, overwrite=True, checksum=True)
        return path
    return write


def _nircam_2d_dark(folder: Path) -> Path:
    """A NIRCam dark whose SCI is 2-D: the datamodel wants 3-D (a real rejection)."""
    return write_nircam_dark(folder / "jwst_nircam_dark_0001.fits", shape=(64, 64))


_WFI02 = {"name": "WFI", "detector": "WFI02", "optical_element": "F062"}

CASES: list[Case] = [
    # --- HST: valid --------------------------------------------------------------------------
    Case("hst wfc3 bias", "hst", None, _hst()),
    Case("hst wfc3 bias amp A", "hst", None,
         _hst({"CCDAMP": "A", "CCDGAIN": 2.0}, name="b1b2c3d4i_bia.fits")),
    Case("hst wfc3 bias ground pedigree", "hst", None,
         _hst({"PEDIGREE": "GROUND"}, name="c1b2c3d4i_bia.fits")),
    Case("hst wfc3 bias am/pm useafter", "hst", None,
         _hst({"USEAFTER": "Mar 21 2001 12:00:00 am"}, name="d1b2c3d4i_bia.fits")),
    Case("hst cos deadtab fuv", "hst", None, _cos()),
    Case("hst cos deadtab nuv", "hst", None,
         _cos({"DETECTOR": "NUV"}, name="yyyyyyyyl_dead.fits", segments=("ANY",))),
    Case("hst example bias", "hst", None, _example(HST_EXAMPLE)),
    # --- HST: one defect each ----------------------------------------------------------------
    Case("hst ISO USEAFTER", "hst", "USEAFTER in ISO form",
         _hst({"USEAFTER": "2026-01-01T00:00:00"})),
    Case("hst missing USEAFTER", "hst", "no USEAFTER", _hst({"USEAFTER": None})),
    Case("hst USEAFTER with junk", "hst", "trailing junk in USEAFTER",
         _hst({"USEAFTER": "Jan 01 2026 junk"})),
    Case("hst PEDIGREE INFLIGHT alone", "hst", "INFLIGHT without dates",
         _hst({"PEDIGREE": "INFLIGHT"})),
    Case("hst PEDIGREE US dates", "hst", "month/day swapped",
         _hst({"PEDIGREE": "INFLIGHT 02/25/2017 03/01/2017"})),
    Case("hst CCDGAIN not allowed", "hst", "CCDGAIN outside the TPN list",
         _hst({"CCDGAIN": 3.0})),
    Case("hst DETECTOR not allowed", "hst", "IR detector on a UVIS bias",
         _hst({"DETECTOR": "IR"})),
    Case("hst FILETYPE of another type", "hst", "FILETYPE DARK in a bias",
         _hst({"FILETYPE": "DARK"})),
    Case("hst cos SEGMENT value", "hst", "SEGMENT FUVC", _cos(segments=("FUVA", "FUVC"))),
    Case("hst cos SEGMENT column missing", "hst", "no SEGMENT column", _cos(segments=None)),
    Case("hst cos missing DESCRIP", "hst", "DESCRIP required for COS",
         _cos({"DESCRIP": None})),
    Case("hst cos missing VCALCOS", "hst", "VCALCOS required", _cos({"VCALCOS": None})),
    Case("hst unterminated string card", "hst", "non-standard card",
         lambda folder: _replace_card(write_hst_ref(folder / HST_NAME, checksum=False),
                                      "CHINJECT", "CHINJECT= 'NONE")),
    Case("hst checksum mismatch", "hst", "data changed after CHECKSUM",
         lambda folder: _flip_data_byte(write_hst_ref(folder / HST_NAME))),
    Case("hst ASDF extension", "hst", "an HDU named ASDF",
         lambda folder: write_hst_ref(folder / HST_NAME, extra_hdus=[
             fits.ImageHDU(np.zeros(4, dtype="uint8"), name="ASDF")])),
    # --- JWST: valid -------------------------------------------------------------------------
    Case("jwst miri dark sub64", "jwst", None, _jwst()),
    Case("jwst miri dark sub256", "jwst", None, _jwst({"SUBARRAY": "SUB256"})),
    Case("jwst miri dark mask1065", "jwst", None, _jwst({"SUBARRAY": "MASK1065"})),
    Case("jwst miri dark ground", "jwst", None,
         _jwst({"PEDIGREE": "GROUND", "USEAFTER": "2026-02-01"})),
    Case("jwst nircam dark", "jwst", None,
         lambda folder: write_nircam_dark(folder / "jwst_nircam_dark_0001.fits")),
    *[Case(f"jwst example {Path(name).stem}", "jwst", None, _example(name))
      for name in JWST_EXAMPLES],
    # --- JWST: one defect each ---------------------------------------------------------------
    Case("jwst DETECTOR of another instrument", "jwst", "NRCA1 on MIRI",
         _jwst({"DETECTOR": "NRCA1"})),
    Case("jwst READPATT not allowed", "jwst", "READPATT BOGUS", _jwst({"READPATT": "BOGUS"})),
    Case("jwst SUBARRAY not allowed", "jwst", "SUBARRAY SUB999", _jwst({"SUBARRAY": "SUB999"})),
    Case("jwst SUBARRAY GENERIC", "jwst", "GENERIC on a dark", _jwst({"SUBARRAY": "GENERIC"})),
    Case("jwst FILTER not allowed", "jwst", "FILTER F999W", _jwst({"FILTER": "F999W"})),
    Case("jwst SCI 2-D", "jwst", "SCI 2-D where the model wants 4-D", _miri_2d_sci),
    Case("jwst SCI int16", "jwst", "integer SCI", _miri_sci_dtype("int16")),
    Case("jwst missing SCI", "jwst", "no SCI extension", _miri_without("SCI")),
    Case("jwst SUBSIZE1 out of range", "jwst", "SUBSIZE1 past the detector",
         _jwst({"SUBSIZE1": 2000})),
    Case("jwst missing NGROUPS", "jwst", "no NGROUPS", _jwst({"NGROUPS": None})),
    Case("jwst FASTAXIS wrong for MIRIMAGE", "jwst", "FASTAXIS -1", _jwst({"FASTAXIS": -1})),
    Case("jwst missing AUTHOR", "jwst", "no AUTHOR", _jwst({"AUTHOR": None})),
    Case("jwst USEAFTER with fraction", "jwst", "fractional seconds",
         _jwst({"USEAFTER": "2026-01-01T00:00:00.000"})),
    Case("jwst PEDIGREE GROUND with dates", "jwst", "GROUND with dates",
         _jwst({"PEDIGREE": "GROUND 2022-01-01 2022-02-01"})),
    Case("jwst TELESCOP HST", "jwst", "wrong telescope", _jwst({"TELESCOP": "HST"})),
    Case("jwst nircam dark 2-D", "jwst", "2-D NIRCam dark", _nircam_2d_dark),
    # --- Roman: valid ------------------------------------------------------------------------
    Case("roman dark wfi01", "roman", None, _roman()),
    Case("roman dark wfi02 f062", "roman", None,
         _roman({"instrument": _WFI02}, name="roman_wfi_dark_0002.asdf")),
    Case("roman dark model pedigree", "roman", None,
         _roman({"pedigree": "MODEL"}, name="roman_wfi_dark_0003.asdf")),
    Case("roman dark inflight pedigree", "roman", None,
         _roman({"pedigree": "INFLIGHT 2026-01-01 2026-02-01"},
                name="roman_wfi_dark_0004.asdf")),
    Case("roman dark wfi18", "roman", None,
         _roman({"instrument": {**_WFI02, "detector": "WFI18"}},
                name="roman_wfi_dark_0005.asdf")),
    Case("roman dark 16x16", "roman", None, _roman(name="roman_wfi_dark_0006.asdf",
                                                   shape=(16, 16))),
    Case("roman example dark", "roman", None, _example(ROMAN_EXAMPLE)),
    # --- Roman: one defect each --------------------------------------------------------------
    Case("roman DETECTOR WFI21", "roman", "no such detector",
         _roman({"instrument": {**_WFI02, "detector": "WFI21"}})),
    Case("roman optical element BAD", "roman", "no such optical element",
         _roman({"instrument": {**_WFI02, "optical_element": "BAD"}})),
    Case("roman missing author", "roman", "no author", _roman({"author": None})),
    Case("roman missing description", "roman", "no description", _roman({"description": None})),
    Case("roman missing origin", "roman", "no origin", _roman({"origin": None})),
    Case("roman useafter not a time", "roman", "useafter a string",
         _roman({"useafter": "yesterday"})),
    Case("roman pedigree INFLIGHT alone", "roman", "INFLIGHT without dates",
         _roman({"pedigree": "INFLIGHT"})),
    Case("roman telescope JWST", "roman", "wrong telescope", _roman({"telescope": "JWST"})),
    Case("roman reftype FLAT in a dark", "roman", "reftype disagrees",
         _roman({"reftype": "FLAT"})),
    Case("roman dark_slope int16", "roman", "integer dark slope",
         _roman(arrays={"dark_slope": np.zeros((8, 8), dtype="int16")})),
    Case("roman dark_slope 3-D", "roman", "3-D dark slope",
         _roman(arrays={"dark_slope": np.zeros((2, 8, 8), dtype="float32")})),
    Case("roman missing dq", "roman", "no dq array", _roman(arrays={"dq": None})),
    Case("roman exposure type bad", "roman", "exposure type not allowed",
         _roman({"exposure": {"type": "WFI_BOGUS", "p_exptype": "WFI_BOGUS|"}})),
    Case("roman untagged tree", "roman", "no datamodel tag", _roman(tag=None)),
]


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every case into its own sub-folder of `folder`: case name -> file path."""
    written = {}
    for index, case in enumerate(CASES):
        written[case.name] = case.write(folder / f"{index:02d}")
    return written


if __name__ == "__main__":
    for name, path in write_corpus(Path(sys.argv[1])).items():
        print(f"{name}: {path}")
