"""apply against a misbehaving server: locks held, lost chunks, strays in the ingest area,
unanswered requests. Every failure before the post leaves no record and no uploaded file."""

from __future__ import annotations

from pathlib import Path

from crds_deliver.record import record_path
from tests.fixtures.sandbox import SandboxWeb


def _ingest(sb) -> list[str]:
    web = SandboxWeb(sb)
    web.login("nircam")
    names = [f["name"] for f in web.listing()["files"]]
    web.get("/logout/")
    return names


def test_instrument_locked_by_someone_else(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1)
    sandbox.faults.hold_lock("miri", "someone_else")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 4
    assert "User 'someone_else' has already locked instrument 'miri'" in result.output
    assert not record_path(repo.manifest).exists()
    assert sandbox.stats.uploads == 0


def test_own_lock_on_another_instrument_is_refused(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1)
    SandboxWeb(sandbox).login("nircam")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 4
    assert "holds the lock of instrument 'nircam'" in result.output
    assert sandbox.stats.uploads == 0


def test_lost_chunk_is_sent_again_from_the_start(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1, shape=(800, 800))
    size = next(Path(repo.manifest.parent).glob("refs-a/*.fits")).stat().st_size
    chunks = -(-size // 2_000_000)
    sandbox.faults.fail_chunk(2)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert sandbox.stats.chunk_posts == 2 + chunks  # first try died at chunk 2
    assert sandbox.stats.submission_posts == 1


def test_unanswered_gets_are_retried(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=1)
    sandbox.faults.error_status(503, count=2, path_prefix="/upload/list/")
    result = run_cli(["apply", "--yes", repo.manifest, "-v"], sandbox)
    assert result.exit_code == 0, result.output
    assert "(attempt 3)" in result.output


def test_upload_failure_leaves_nothing_behind(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=2)
    sandbox.faults.error_status(500, count=10, path_prefix="/upload/chunked/")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 4
    assert not record_path(repo.manifest).exists()
    assert _ingest(sandbox) == []
    assert sandbox.stats.submission_posts == 0


def test_strays_refused_with_keep_and_wiped_by_default(delivery_repo, sandbox, run_cli,
                                                      tmp_path):
    from tests.fixtures.fits import write_jwst_ref

    stray = write_jwst_ref(tmp_path / "jwst_miri_dark_0099.fits", {"DESCRIP": "stray"})
    web = SandboxWeb(sandbox)
    web.login("miri")
    web.upload(stray)
    web.get("/logout/")
    keep = delivery_repo(files=1, options={"ingest": "keep"})
    result = run_cli(["apply", "--yes", keep.manifest], sandbox)
    assert result.exit_code == 4
    assert "jwst_miri_dark_0099.fits" in result.output and "not part of this" in result.output
    assert sandbox.stats.submission_posts == 0

    wipe = delivery_repo(files=1, tag="w")
    result = run_cli(["apply", "--yes", wipe.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert "removing jwst_miri_dark_0099.fits" in result.output


def test_keep_reuses_a_file_already_uploaded(delivery_repo, sandbox, run_cli):
    repo = delivery_repo(files=2, options={"ingest": "keep"})
    first = sorted(repo.manifest.parent.glob("refs-a/*.fits"))[0]
    web = SandboxWeb(sandbox)
    web.login("miri")
    web.upload(first)
    web.get("/logout/")
    uploads = sandbox.stats.uploads
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert f"{first.name} is already on the server with the right size; kept" in result.output
    assert sandbox.stats.uploads == uploads + 1
