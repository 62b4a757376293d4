"""Streamed CHECKSUM/DATASUM verification agrees with astropy's on varied real files, and the
deep `crds` checks degrade to one info finding when crds cannot be imported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from crds_deliver.certify.checksums import FitsSums
from crds_deliver.certify.layout import read_layout
from crds_deliver.certify.preflight import Preflight
from crds_deliver.files import stream
from tests.fixtures.fits import write_hst_ref
from tests.fixtures.without_packages import run_without


def _varied(path: Path) -> Path:
    table = Table({"SEGMENT": ["FUVA", "FUVB"], "VALUE": [1.5, 2.5]})
    fits.HDUList([
        fits.PrimaryHDU(np.arange(300, dtype=">i2").reshape(10, 30)),
        fits.ImageHDU(np.linspace(0, 1, 999).astype("f8"), name="SCI"),
        fits.BinTableHDU(table, name="TAB"),
        fits.TableHDU.from_columns([fits.Column("C", format="A7",
                                                array=np.array(["ab", "cdefg"]))]),
    ]).writeto(path, checksum=True)
    return path


@pytest.mark.parametrize("chunk", [2880, 4096, 1 << 20])
def test_streamed_sums_match_astropy(tmp_path: Path, chunk: int) -> None:
    path = _varied(tmp_path / "varied.fits")
    with fits.open(path, checksum=True) as hdus:  # astropy agrees the file is good
        assert all(h._checksum_valid and h._datasum_valid for h in hdus)
    sums = FitsSums(read_layout(path))
    stream(path, [sums.update], chunk=chunk)
    assert sums.mismatches() == []


def test_each_changed_hdu_is_reported(tmp_path: Path) -> None:
    path = _varied(tmp_path / "varied.fits")
    layout = read_layout(path)
    data = bytearray(path.read_bytes())
    data[layout[2].data_offset + 3] ^= 0x01  # binary table data
    path.write_bytes(bytes(data))
    sums = FitsSums(read_layout(path))
    stream(path, [sums.update], chunk=4096)
    assert sorted((hdu, key) for hdu, key, _ in sums.mismatches()) == [(2, "CHECKSUM"),
                                                                       (2, "DATASUM")]


def test_a_preflight_of_the_bytes_read_whole_finds_what_one_of_the_file_finds(
        tmp_path: Path) -> None:
    """plan hands Preflight a small file's bytes: layout, sums and findings as from the file."""
    path = _varied(tmp_path / "varied.fits")
    data = bytearray(path.read_bytes())
    data[read_layout(path)[1].data_offset + 5] ^= 0x01
    path.write_bytes(bytes(data))
    verdicts = []
    for whole in (None, path.read_bytes()):
        preflight = Preflight(path, "hst", data=whole)
        stream(path, preflight.consumers)
        verdicts.append(preflight.finish().findings)
    assert verdicts[0] == verdicts[1]
    assert {(f.hdu, f.keyword) for f in verdicts[0]} >= {(1, "CHECKSUM"), (1, "DATASUM")}


def test_without_crds_the_file_has_no_finding_and_the_run_names_the_extra(
        tmp_path: Path) -> None:
    path = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits")
    (findings, notice), stderr = run_without(["crds"], (
        "from pathlib import Path\n"
        "from crds_deliver.certify import certify_file\n"
        "from crds_deliver.certify.extras import partial_plan_notice\n"
        f"r = certify_file(Path({str(path)!r}), 'hst')\n"
        "result = [[f.to_dict() for f in r.findings], partial_plan_notice('hst')]"))
    assert findings == []
    assert "HST deep checks not run" in notice and "crds-deliver[crds]" in notice
    assert stderr == ""


def test_crds_validators_run_when_installed(tmp_path: Path) -> None:
    pytest.importorskip("crds")
    from crds_deliver.certify import certify_file

    path = write_hst_ref(tmp_path / "a1b2c3d4i_bia.fits", {"CCDGAIN": 3.0})
    findings = certify_file(path, "hst").findings
    assert [(f.severity.value, f.keyword) for f in findings] == [("error", "CCDGAIN")]
    assert findings[0].message.startswith("crds: ")
