"""Preflight verdicts are remembered by bytes (sha256) and name: the sandbox of `apply
--sandbox` does not certify again the copy of a file `plan` just certified."""

from __future__ import annotations

from pathlib import Path

from crds_deliver.certify import Preflight, certify_file, memo
from crds_deliver.certify.findings import CertifyResult, error
from crds_deliver.certify.memo import remembered
from crds_deliver.files import digest_file
from tests.fixtures.fits import write_hst_ref


def _certifier(path: Path, calls: list[Path]):
    def certify() -> CertifyResult:
        calls.append(path)
        return CertifyResult("wfc3", "biasfile",
                             [error(str(path), f"In {path}: bad value", keyword="DETECTOR")],
                             keywords={"DETECTOR": "UVIS"})
    return certify


def test_same_bytes_and_name_are_certified_once(tmp_path: Path) -> None:
    """The second file is never read (it does not even exist): the digest names the bytes."""
    first = tmp_path / "client" / "a1b2c3d4i_bia.fits"
    copy = tmp_path / "staging" / "a1b2c3d4i_bia.fits"
    calls: list[Path] = []
    remembered(first, str(first), "hst", "ab" * 32, _certifier(first, calls))
    again = remembered(copy, copy.name, "hst", "ab" * 32, _certifier(copy, calls))
    assert calls == [first]
    assert again.findings == [error(copy.name, f"In {copy}: bad value", keyword="DETECTOR")]
    assert (again.instrument, again.reftype, again.keywords) == ("wfc3", "biasfile",
                                                                 {"DETECTOR": "UVIS"})


def test_other_bytes_name_or_project_are_certified_again(tmp_path: Path) -> None:
    one = tmp_path / "1" / "a_bia.fits"
    calls: list[Path] = []
    remembered(one, one.name, "hst", "01" * 32, _certifier(one, calls))
    renamed = tmp_path / "3" / "b_bia.fits"
    for path, project, digest in ((one, "hst", "02" * 32), (renamed, "hst", "01" * 32),
                                  (one, "jwst", "01" * 32)):
        remembered(path, path.name, project, digest, _certifier(path, calls))
    assert calls == [one, one, renamed, one]


def test_the_sandbox_takes_plans_verdict_on_a_copy(tmp_path: Path) -> None:
    """plan's half (Preflight with the digest of its read) and the sandbox's certify_file on a
    byte-identical copy elsewhere agree, the copy's findings naming the copy."""
    original = write_hst_ref(tmp_path / "repo" / "a1b2c3d4i_bia.fits",
                             overrides={"DETECTOR": "NOPE"})
    copy = tmp_path / "staging" / original.name
    copy.parent.mkdir()
    copy.write_bytes(original.read_bytes())
    preflight = Preflight(original, "hst", name=str(original))
    sha256 = digest_file(original, preflight.consumers).sha256
    planned = preflight.finish(sha256)
    kept = memo._verdicts[("hst", original.name, sha256)]
    served = certify_file(copy, "hst")
    assert memo._verdicts[("hst", original.name, sha256)] is kept  # taken, not certified again
    assert not planned.ok and [f.message for f in served.findings] == [
        f.message.replace(str(original), str(copy)) for f in planned.findings]
    assert {f.file for f in served.findings} == {str(copy)}
    assert (served.instrument, served.reftype, served.case, served.keywords) == (
        planned.instrument, planned.reftype, planned.case, planned.keywords)


def test_a_verdict_is_recalled_by_the_digest_without_a_read(tmp_path: Path) -> None:
    """A verdict remembered on a file's bytes is recalled by their sha256 without opening any
    file (here the copy is gone), re-addressed to the copy; an unknown digest recalls
    nothing."""
    original = write_hst_ref(tmp_path / "repo" / "a1b2c3d4i_bia.fits",
                             overrides={"DETECTOR": "NOPE"})
    sha256 = digest_file(original).sha256
    planned = certify_file(original, "hst")
    gone = tmp_path / "staging" / original.name
    served = memo.recalled(gone, str(gone), "hst", sha256)
    assert served is not None
    assert [f.message for f in served.findings] == [
        f.message.replace(str(original), str(gone)) for f in planned.findings]
    assert not served.ok and {f.file for f in served.findings} == {str(gone)}
    assert memo.recalled(gone, str(gone), "hst", "00" * 32) is None
