"""`crds-deliver stamp`: CRDSUNIQ written, checksums still valid, bytes changed; bad input is
one clear error."""

from __future__ import annotations

import hashlib
import subprocess
import warnings
from pathlib import Path

from astropy.io import fits

from tests.fixtures.cli_process import run_command
from tests.fixtures.fits import write_hst_ref


def _stamp(*args: str) -> subprocess.CompletedProcess:
    return run_command(["stamp", *args])


def test_stamp_writes_crdsuniq_and_valid_checksums(tmp_path: Path) -> None:
    one = write_hst_ref(tmp_path / "a1b2c3d0i_bia.fits")
    two = write_hst_ref(tmp_path / "a1b2c3d1i_bia.fits")
    before = hashlib.sha1(one.read_bytes()).hexdigest()
    done = _stamp(str(one), str(two))
    assert done.returncode == 0, done.stderr
    assert f"{one}: CRDSUNIQ = " in done.stdout
    assert hashlib.sha1(one.read_bytes()).hexdigest() != before
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # astropy warns on a checksum mismatch
        with fits.open(one, checksum=True) as hdus:
            first = hdus[0].header["CRDSUNIQ"]
            assert hdus[0].header["CHECKSUM"] and hdus[0].header["DATASUM"]
        with fits.open(two, checksum=True) as hdus:
            second = hdus[0].header["CRDSUNIQ"]
    assert first < second  # ten days apart, as crds_unique does
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_stamp_refuses_what_it_cannot_stamp(tmp_path: Path) -> None:
    asdf_file = tmp_path / "x.asdf"
    asdf_file.write_text("#ASDF 1.0.0\n")
    done = _stamp(str(asdf_file))
    assert done.returncode == 1 and "only FITS files can be stamped" in done.stderr
    assert "Traceback" not in done.stderr
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"SIMPLE = nonsense")
    done = _stamp(str(broken))
    assert done.returncode == 1 and f"{broken}: " in done.stderr
    assert "Traceback" not in done.stderr
    missing = _stamp(str(tmp_path / "gone.fits"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
    assert broken.read_bytes() == b"SIMPLE = nonsense"
