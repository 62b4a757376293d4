"""The disk fills up while a record is written (a file-size limit, RLIMIT_FSIZE, set on the
apply/confirm process makes the write fail with EFBIG as a full disk fails with ENOSPC): the
previous record stays intact, no temp file is left, the error is one clear line, and a later
run converges."""

from __future__ import annotations

import os
import subprocess

from crds_deliver.record import record_path
from tests.faults.helpers import ingest_names, record_data
from tests.fixtures.cli_process import CliProcess
from tests.fixtures.repo import sandbox_env

LIMIT = 1024  # bytes: the lock file fits, a result record does not


def _limited(*args: str, sb, limit_bytes: int = LIMIT) -> subprocess.CompletedProcess:
    """`crds-deliver ARGS` that can write no file beyond `limit_bytes` (RLIMIT_FSIZE); its
    output (stdout and stderr) on a pipe, which the limit does not touch."""
    proc = CliProcess(args, env={**os.environ, **sandbox_env(sb)}, piped=True,
                      file_size_limit=limit_bytes)
    assert proc.stdout is not None
    with proc.stdout:
        output = proc.stdout.read()
    return subprocess.CompletedProcess(list(args), proc.wait(120), output, "")


def _temp_files(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_disk_full_at_the_first_write_posts_nothing_and_cleans_up(delivery_repo, sandbox,
                                                                  ledger):
    repo = delivery_repo(files=2)
    done = _limited("apply", "--yes", str(repo.manifest), sb=sandbox)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "could not write the result record" in output
    assert "Traceback" not in output
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    assert _temp_files(repo.manifest.parent) == []
    assert ingest_names(sandbox) == []


def test_disk_full_after_confirm_keeps_the_ready_record(delivery_repo, sandbox, run_cli,
                                                        ledger):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    before = record_path(repo.manifest).read_bytes()
    done = _limited("confirm", str(repo.manifest), sb=sandbox)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "could not write the result record" in output and "Traceback" not in output
    assert sandbox.stats.confirms == 1  # the server did confirm; the record could not say so
    kept = record_path(repo.manifest).read_bytes() == before
    ledger.record_kept(kept)
    assert kept
    assert _temp_files(repo.manifest.parent) == []

    again = run_cli(["confirm", repo.manifest], sandbox)
    assert again.exit_code == 0, again.output
    assert "already shows this delivery CONFIRMED" in again.output
    assert sandbox.stats.confirms == 1
    ledger.posts(1, sandbox.stats.submission_posts)
    data = record_data(repo.manifest)
    assert data["state"] == "CONFIRMED"
    assert data["files"][0]["official_name"]


def test_disk_full_while_writing_the_lock_is_one_line_and_leaves_no_lock(delivery_repo, sandbox,
                                                                         run_cli, ledger):
    from crds_deliver.lock import lock_path

    repo = delivery_repo(files=1)
    done = _limited("apply", "--yes", str(repo.manifest), sb=sandbox, limit_bytes=8)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert f"{lock_path(repo.manifest)}: cannot write the lock file" in output, output
    assert not lock_path(repo.manifest).exists()  # an empty lock would hold the next run up
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.requests == 0
    again = run_cli(["apply", "--yes", repo.manifest], sandbox)  # at once, not after a grace period
    assert again.exit_code == 0, again.output
    assert "stale lock" not in again.output
    state = record_data(repo.manifest)["state"]
    ledger.record_kept(state == "READY")
    assert state == "READY"
