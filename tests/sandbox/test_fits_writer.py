"""The sandbox's own FITS writer against astropy: what it writes, astropy reads back as the same
keywords, types and data, with verified checksums; and a changed byte is caught."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from crds_deliver.certify import certify_file
from crds_deliver.sandbox import fits_writer
from tests.sandbox.test_seed_refs import _seed_reference

ARRAYS = {"F32": np.arange(24, dtype="float32").reshape(1, 2, 3, 4),
          "U32": np.array([[0, 1, 2**32 - 1]], dtype="uint32"),
          "I16": np.array([[-5, 0, 7]], dtype="int16"),
          "U16": np.array([[0, 65535]], dtype="uint16")}
KEYWORDS = {"TELESCOP": "HST", "CCDGAIN": 1.5, "FLAG": False, "COUNT": -3,
            "DESCRIP": "it's quoted"}
COLUMNS = [fits_writer.Column("BIT", "J", [0, 1]), fits_writer.Column("VALUE", "J", [1, -2]),
           fits_writer.Column("NAME", "20A", ["DO_NOT_USE", "SATURATED"])]


def _written() -> bytes:
    return (fits_writer.primary_hdu(KEYWORDS, "a history line")
            + b"".join(fits_writer.image_hdu(name, array) for name, array in ARRAYS.items())
            + fits_writer.table_hdu("DQ_DEF", COLUMNS))


def _open_strictly(data: bytes) -> fits.HDUList:
    """astropy's open with checksums checked and every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hdus = fits.open(io.BytesIO(data), checksum=True)
        hdus.verify("exception")
        for hdu in hdus:
            _ = hdu.data  # reading the data checks DATASUM
    return hdus


def test_astropy_reads_back_the_keywords_arrays_and_table() -> None:
    hdus = _open_strictly(_written())
    assert {key: hdus[0].header[key] for key in KEYWORDS} == KEYWORDS
    assert hdus[0].header["HISTORY"][0] == "a history line"
    for name, array in ARRAYS.items():
        assert hdus[name].data.dtype.newbyteorder("=") == array.dtype
        np.testing.assert_array_equal(hdus[name].data, array)
    table = hdus["DQ_DEF"].data
    assert list(table["BIT"]) == [0, 1] and list(table["VALUE"]) == [1, -2]
    assert list(table["NAME"]) == ["DO_NOT_USE", "SATURATED"]


def test_data_is_stored_as_astropy_stores_it() -> None:
    ours = _open_strictly(_written())
    theirs = fits.HDUList([fits.PrimaryHDU()] + [fits.ImageHDU(array, name=name)
                                                  for name, array in ARRAYS.items()])
    out = io.BytesIO()
    theirs.writeto(out)
    written = fits.open(io.BytesIO(out.getvalue()))
    for name in ARRAYS:
        assert ours[name].header["BITPIX"] == written[name].header["BITPIX"]
        assert ours[name].header.get("BZERO") == written[name].header.get("BZERO")
        assert ours[name].data.tobytes() == written[name].data.tobytes()


def test_a_changed_byte_fails_the_checksums(tmp_path: Path) -> None:
    data = bytearray(_seed_reference("hst", "wfc3", "biasfile").data)
    data[-2880] ^= 0x01  # first data byte of the last HDU
    with warnings.catch_warnings(), pytest.raises(Warning, match="(?i)checksum"):
        warnings.simplefilter("error")
        hdus = fits.open(io.BytesIO(bytes(data)), checksum=True)
        for hdu in hdus:
            _ = hdu.data
    path = tmp_path / "changed_bia.fits"
    path.write_bytes(bytes(data))
    result = certify_file(path, "hst")
    assert any(f.keyword in ("CHECKSUM", "DATASUM") for f in result.findings
               if f.severity.value == "error"), [f.message for f in result.findings]


def test_the_complete_seed_references_read_back_cleanly() -> None:
    """(The header-only seeds of other types carry "N/A" for every match keyword, NAXIS1
    included where a type matches on it: they are not meant to be valid FITS.)"""
    for project, instrument, kind in (("hst", "wfc3", "biasfile"), ("jwst", "miri", "dark")):
        hdus = _open_strictly(_seed_reference(project, instrument, kind).data)
        assert hdus[0].header["INSTRUME"] == instrument.upper()


def test_a_value_that_does_not_fit_is_refused_not_cut() -> None:
    with pytest.raises(ValueError, match="80 characters"):
        fits_writer.card("DESCRIP", "x" * 69)
    assert fits_writer.card("DESCRIP", "x" * 68).rstrip().endswith(b"x'")
    assert fits_writer.card("GAIN", 2.0)[10:30] == b"2.0".rjust(20)
    assert fits_writer.card("TINY", 1e-30)[10:30] == b"1E-30".rjust(20)
