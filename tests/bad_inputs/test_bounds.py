"""Bounds on what a manifest can make the tool do: a glob matching thousands of paths, a
FIFO or a device file matched by a glob, a FITS file with thousands of HDUs, a token hidden
inside a longer value, a token file ignored for its mode. Each is one clear, located error
(not thousands of lines, not minutes of work, not a silent skip) and a non-zero exit."""

from __future__ import annotations

import os

from astropy.io import fits

from crds_deliver.certify.structure import MAX_HDUS
from crds_deliver.files import MAX_MATCHES
from tests.fixtures.fits import manifest_text, write_jwst_ref
from tests.fixtures.repo import git


def _repo(tmp_path, files: list[str], form_edit=None):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    manifest = root / "delivery.yaml"
    text = manifest_text("jwst", "miri", "DARK", files)
    manifest.write_text(form_edit(text) if form_edit else text)
    return root, manifest


def test_glob_matching_too_many_paths_is_one_error(tmp_path, run_cli, ledger):
    root, manifest = _repo(tmp_path, ["refs/*.fits"])
    (root / "refs").mkdir()
    for index in range(MAX_MATCHES + 1):
        (root / "refs" / f"jwst_miri_dark_{index:05d}.fits").touch()
    result = run_cli(["plan", manifest])
    ledger.output(result.output)
    assert result.exit_code == 1, result.output
    assert f"matches more than {MAX_MATCHES} paths" in result.output
    assert len(result.output.splitlines()) < 20  # one problem, not one line per file
    assert "Traceback" not in result.output


def test_fifo_matched_by_a_glob_is_an_error_not_a_skip(tmp_path, run_cli, ledger):
    root, manifest = _repo(tmp_path, ["refs/*.fits"])
    write_jwst_ref(root / "refs" / "jwst_miri_dark_0001.fits")
    os.mkfifo(root / "refs" / "jwst_miri_dark_0002.fits")
    result = run_cli(["plan", manifest])
    ledger.output(result.output)
    assert result.exit_code == 1, result.output
    assert "refs/jwst_miri_dark_0002.fits' is a FIFO (named pipe), not a regular file" \
        in result.output
    assert f"{manifest}:" in result.output  # located at the manifest's files[0]


def test_device_file_matched_by_a_glob_is_an_error(tmp_path, run_cli, ledger):
    root, manifest = _repo(tmp_path, ["refs/*.fits"])
    write_jwst_ref(root / "refs" / "jwst_miri_dark_0001.fits")
    os.symlink("/dev/zero", root / "refs" / "jwst_miri_dark_0002.fits")
    result = run_cli(["plan", manifest])
    ledger.output(result.output)
    assert result.exit_code == 1, result.output
    assert "is a character device, not a regular file" in result.output


def test_thousands_of_hdus_are_refused_unread(tmp_path, run_cli, ledger):
    root, manifest = _repo(tmp_path, ["*.fits"])
    good = write_jwst_ref(root / "jwst_miri_dark_0001.fits")
    # The valid file followed by MAX_HDUS header-only extensions, written as raw blocks.
    extension = fits.ImageHDU(name="X").header.tostring().encode("ascii")
    with open(good, "ab") as handle:
        handle.write(extension * MAX_HDUS)
    result = run_cli(["plan", manifest])
    ledger.output(result.output)
    assert result.exit_code == 1, result.output
    assert f"more than {MAX_HDUS} HDUs" in result.output
    assert "Traceback" not in result.output


def test_token_inside_a_longer_value_is_caught(tmp_path, run_cli, ledger):
    token = "0123456789abcdef0123456789abcdef"
    _root, manifest = _repo(tmp_path, ["*.fits"], lambda text: text.replace(
        "deliverer: ", f"deliverer: my token is {token} and "))
    result = run_cli(["validate", manifest])
    ledger.output(result.output)
    assert result.exit_code == 1, result.output
    assert "looks like a MAST API token" in result.output


def test_ignored_ini_file_is_named_in_the_missing_token_error(tmp_path, delivery_repo, run_cli,
                                                              ledger):
    repo = delivery_repo(files=1)
    ini = tmp_path / "crds.ini"
    ini.write_text("[authentication]\nMAST_API_TOKEN = 0123456789abcdef0123456789abcdef\n")
    ini.chmod(0o644)
    result = run_cli(["apply", "--yes", repo.manifest],
                     env={"CRDS_INI_FILE": str(ini), "CI": "true",
                          "CRDS_SERVER_URL": "http://127.0.0.1:9/"})
    ledger.output(result.output)
    assert result.exit_code != 0
    error = [line for line in result.output.splitlines() if "no MAST token found" in line]
    assert error and f"ignoring {ini}: it may be read by others (mode 644)" in error[0], \
        result.output
    ledger.leaks(result.output.count("0123456789abcdef0123456789abcdef"))
    assert "0123456789abcdef0123456789abcdef" not in result.output
