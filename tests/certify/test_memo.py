"""crds's verdicts are remembered by bytes and name: the sandbox of `apply --sandbox` does not
run the certifier again on the copy of a file `plan` just certified."""

from __future__ import annotations

from pathlib import Path

from crds_deliver.certify.findings import Finding, error
from crds_deliver.certify.memo import remembered


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _certifier(path: Path, calls: list[Path]):
    def certify() -> list[Finding]:
        calls.append(path)
        return [error(str(path), f"In {path}: bad value", keyword="DETECTOR")]
    return certify


def test_same_bytes_and_name_are_certified_once(tmp_path: Path) -> None:
    data = b"SIMPLE  =" + b"x" * 100
    first = _write(tmp_path / "client" / "a1b2c3d4i_bia.fits", data)
    copy = _write(tmp_path / "staging" / "a1b2c3d4i_bia.fits", data)
    calls: list[Path] = []
    remembered(first, str(first), "hst", _certifier(first, calls))
    again = remembered(copy, copy.name, "hst", _certifier(copy, calls))
    assert calls == [first]
    assert again == [error(copy.name, f"In {copy}: bad value", keyword="DETECTOR")]


def test_other_bytes_name_or_project_are_certified_again(tmp_path: Path) -> None:
    one = _write(tmp_path / "1" / "a_bia.fits", b"one")
    calls: list[Path] = []
    remembered(one, one.name, "hst", _certifier(one, calls))
    changed = _write(tmp_path / "2" / "a_bia.fits", b"two")
    renamed = _write(tmp_path / "3" / "b_bia.fits", b"one")
    for path, project in ((changed, "hst"), (renamed, "hst"), (one, "jwst")):
        remembered(path, path.name, project, _certifier(path, calls))
    assert calls == [one, changed, renamed, one]


def test_a_digest_from_the_caller_names_the_bytes_without_a_read(tmp_path: Path) -> None:
    """plan and the sandbox hash each file while reading it: the memo takes that sha256, so
    even a file too large for the memo to hash itself is certified once (a file that does
    not exist shows no read is made)."""
    gone = tmp_path / "client" / "a1b2c3d4i_bia.fits"
    copy = tmp_path / "staging" / "a1b2c3d4i_bia.fits"
    calls: list[Path] = []
    remembered(gone, gone.name, "hst", _certifier(gone, calls), sha256="ab" * 32)
    again = remembered(copy, copy.name, "hst", _certifier(copy, calls), sha256="ab" * 32)
    remembered(copy, copy.name, "hst", _certifier(copy, calls), sha256="cd" * 32)
    assert calls == [gone, copy]  # the other digest's bytes are certified again
    assert again == [error(copy.name, f"In {copy}: bad value", keyword="DETECTOR")]
