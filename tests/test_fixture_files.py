"""The fixtures' reference writers copy a file they wrote before for the same arguments
(tests/fixtures/fits.py, `_remembered`): the copy must be the bytes a fresh write gives, and
anything that changes the file must give another file."""

from __future__ import annotations

from pathlib import Path

from astropy.io import fits as astropy_fits

from tests.fixtures import fits
from tests.fixtures.fits import dq_def, write_hst_ref, write_jwst_ref


def test_a_remembered_file_is_what_a_fresh_write_gives(tmp_path: Path) -> None:
    first = write_jwst_ref(tmp_path / "a" / "jwst_miri_dark_0001.fits", {"DESCRIP": "one"})
    again = write_jwst_ref(tmp_path / "b" / "jwst_miri_dark_0002.fits", {"DESCRIP": "one"})
    remembered = dict(fits._WRITTEN)
    fits._WRITTEN.clear()
    try:
        fresh = write_jwst_ref(tmp_path / "c" / "jwst_miri_dark_0003.fits", {"DESCRIP": "one"})
    finally:
        fits._WRITTEN.update(remembered)
    assert first.read_bytes() == again.read_bytes() == fresh.read_bytes()
    with astropy_fits.open(again, checksum=True) as hdus:
        assert hdus[0].header["DESCRIP"] == "one"


def test_what_changes_the_file_gives_another_file(tmp_path: Path) -> None:
    base = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits").read_bytes()
    assert write_hst_ref(tmp_path / "x" / "a1b2c3d4i_bia.fits").read_bytes() == base
    assert write_hst_ref(tmp_path / "a1b2c3d5i_bia.fits", {"CCDAMP": "A"}).read_bytes() != base
    assert write_hst_ref(tmp_path / "a1b2c3d6i_bia.fits", shape=(4, 4)).read_bytes() != base
    # the name's length seeds the data
    assert write_hst_ref(tmp_path / "a1b2c3d4ii_bia.fits").read_bytes() != base
    # an HDU argument is not compared by value: written afresh, and the extra HDU is there
    extra = write_hst_ref(tmp_path / "a1b2c3d7i_bia.fits", extra_hdus=[dq_def()])
    with astropy_fits.open(extra) as hdus:
        assert "DQ_DEF" in hdus
