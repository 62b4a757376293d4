"""crds's array checks served from one open of the FITS file (certify/fits_arrays.py): the
findings are those crds's own reads give, on the JWST files of the parity corpus (valid ones
and array defects: 2-D and int16 SCI, a missing SCI...), and the file is opened fewer times,
unless it is big."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver.certify import fits_arrays
from crds_deliver.certify.deep import deep_findings, import_crds
from crds_deliver.certify.fits_arrays import SharedArrayReads
from tests.fixtures.installed import require
from tests.parity.corpus import write_corpus

require("crds")
require("stdatamodels")


def _jwst_fits(folder: Path) -> dict[str, Path]:
    return {case: path for case, path in write_corpus(folder).items()
            if case.startswith("jwst") and path.suffix == ".fits"}


def _crds_own_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """crds's `add_array_keywords` as it is, its two opens per array included."""
    monkeypatch.delattr(SharedArrayReads, "add_array_keywords")


def test_one_open_gives_the_findings_of_crds_own_reads(tmp_path: Path) -> None:
    import_crds("jwst")
    files = _jwst_fits(tmp_path)
    assert len(files) > 15 and any("SCI" in case for case in files)
    shared = {case: deep_findings(path, path.name, "jwst") for case, path in files.items()}
    with pytest.MonkeyPatch.context() as patch:
        _crds_own_reads(patch)
        own = {case: deep_findings(path, path.name, "jwst") for case, path in files.items()}
    assert shared == own
    assert any(found for found in own.values()) and any(not found for found in own.values())
    assert any("SCI" in f.message for found in own.values() for f in found)


def test_the_file_is_opened_fewer_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_crds("jwst")
    from astropy.io.fits.hdu import hdulist

    path = _jwst_fits(tmp_path)["jwst example jwst_miri_dark_0001"]
    opened: list[str] = []
    read = hdulist.HDUList.fromfile.__func__

    def counted(cls: type, fileobj: object, *args: object, **kwargs: object) -> object:
        opened.append(str(fileobj))
        return read(cls, fileobj, *args, **kwargs)

    def opens() -> int:
        opened.clear()
        deep_findings(path, path.name, "jwst")
        return len(opened)

    monkeypatch.setattr(hdulist.HDUList, "fromfile", classmethod(counted))
    once = opens()
    with monkeypatch.context() as patch:  # a big file keeps crds's reads
        patch.setattr(fits_arrays, "SHARED_MAX_BYTES", path.stat().st_size - 1)
        big = opens()
    _crds_own_reads(monkeypatch)
    assert 0 < once < big == opens(), (once, big)
