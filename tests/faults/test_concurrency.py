"""Two applies of the same repository at once (separate processes): every manifest is
delivered exactly once. Lock files left behind are recovered or explained."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from crds_deliver.lock import lock_path
from crds_deliver.record import record_path
from tests.faults.helpers import (
    local_files,
    record_data,
    server_has_exactly,
    start_apply,
    wait_until,
)
from tests.fixtures.cli_process import run_command


def _two_manifest_repo(delivery_repo):
    repo = delivery_repo(files=1)
    second = repo.add_manifest("manifests/jwst/miri/more-darks.yaml", files=1, tag="b")
    return repo, [repo.manifest, second]


def test_two_applies_with_wait_deliver_each_manifest_once(delivery_repo, sandbox, tmp_path,
                                                          ledger):
    repo, manifests = _two_manifest_repo(delivery_repo)
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    procs = [start_apply(repo.root / "manifests", sandbox, "--wait", output=log)
             for log in logs]
    codes = [p.wait(timeout=120) for p in procs]
    output = "\n".join(log.read_text() for log in logs)
    assert codes == [0, 0], output
    assert "Traceback" not in output
    ledger.posts(len(manifests), sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == len(manifests)
    for manifest in manifests:
        state = record_data(manifest)["state"]
        ledger.record_kept(state == "READY")
        assert state == "READY"
        assert not lock_path(manifest).exists()
        assert server_has_exactly(sandbox, local_files(manifest))


def test_two_applies_without_wait_never_post_twice(delivery_repo, sandbox, tmp_path, ledger):
    repo, manifests = _two_manifest_repo(delivery_repo)
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    procs = [start_apply(repo.root / "manifests", sandbox, output=log) for log in logs]
    codes = [p.wait(timeout=120) for p in procs]
    output = "\n".join(log.read_text() for log in logs)
    assert "Traceback" not in output
    assert set(codes) <= {0, 3}  # 3: the other run held the lock
    ledger.posts(len(manifests), sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts <= len(manifests)
    for manifest in manifests:
        if record_path(manifest).exists():
            assert record_data(manifest)["state"] in ("SUBMITTED", "READY")
    # whatever the first round left, a plain re-run finishes it without posting again
    posted = sandbox.stats.submission_posts
    done = run_command(["apply", "--yes", repo.root / "manifests"], env=_env(sandbox))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sandbox.stats.submission_posts == len(manifests)
    assert posted <= sandbox.stats.submission_posts
    for manifest in manifests:
        state = record_data(manifest)["state"]
        ledger.record_kept(state == "READY")
        assert state == "READY"


def test_overlapping_applies_never_mix_their_files(delivery_repo, sandbox, tmp_path, ledger):
    """The ingest area is one per user on the server: while one run uploads for a manifest,
    another run's manifest must not wipe it, add to it, or be submitted with it."""
    repo, manifests = _two_manifest_repo(delivery_repo)
    uploading = sandbox.faults.hold(count=1, path_prefix="/upload/chunked/")  # run one uploads
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    first = start_apply(repo.root / "manifests", sandbox, output=logs[0])
    wait_until(lambda: sandbox.stats.requests > 0 and lock_path(manifests[0]).exists()
               and "logging in" in logs[0].read_text(), first, what="run one uploading")
    second = start_apply(repo.root / "manifests", sandbox, output=logs[1])
    # run two skips manifest one while run one's upload is still held
    wait_until(lambda: "another apply is running" in logs[1].read_text(), second,
               what="run two skipping manifest one")
    uploading.set()
    codes = [first.wait(timeout=120), second.wait(timeout=120)]
    output = "\n".join(log.read_text() for log in logs)
    assert "Traceback" not in output
    # Either run may find the other holding a manifest's lock (exit 3), never fail (exit 1).
    assert set(codes) <= {0, 3}, output
    assert "FAILED" not in output
    rerun = run_command(["apply", "--yes", repo.root / "manifests"], env=_env(sandbox))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    ledger.posts(len(manifests), sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == len(manifests)
    for manifest in manifests:
        data = record_data(manifest)
        ledger.record_kept(data["state"] == "READY")
        assert data["state"] == "READY", output
        assert len(data["files"]) == 1
        assert server_has_exactly(sandbox, local_files(manifest))


def _env(sb) -> dict[str, str]:
    import os

    from tests.fixtures.repo import sandbox_env
    return {**os.environ, **sandbox_env(sb)}


def test_stale_lock_of_a_killed_process_is_recovered(delivery_repo, sandbox, run_cli, ledger):
    repo = delivery_repo(files=1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(repo.manifest).write_text(json.dumps(
        {"pid": dead.pid, "host": socket.gethostname(), "time": "2026-11-28T00:00:00+00:00"}))
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert f"recovered a stale lock {lock_path(repo.manifest)} left by process {dead.pid}" \
        in result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")
    assert not lock_path(repo.manifest).exists()


def test_empty_lock_of_a_process_killed_while_writing_it_is_recovered(delivery_repo, sandbox,
                                                                     run_cli, ledger):
    repo = delivery_repo(files=1)
    lock = lock_path(repo.manifest)
    lock.write_text("")  # created with O_EXCL, killed before the pid was written
    old = time.time() - 60
    os.utime(lock, (old, old))
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert "recovered a stale lock" in result.output and "empty or unreadable" in result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")
    assert not lock.exists()


def test_fresh_unreadable_lock_is_respected(delivery_repo, sandbox, run_cli, ledger):
    repo = delivery_repo(files=1)
    lock_path(repo.manifest).write_text("")  # being written this very moment
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 3
    assert "another apply is running (an unreadable lock file)" in result.output
    ledger.posts(0, sandbox.stats.submission_posts)
    ledger.record_kept(not record_path(repo.manifest).exists())


def test_lock_of_another_host_is_explained_not_taken(delivery_repo, sandbox, run_cli, ledger):
    repo = delivery_repo(files=1)
    lock_path(repo.manifest).write_text(json.dumps(
        {"pid": 1, "host": "ci-runner-elsewhere", "time": "2026-11-28T00:00:00+00:00"}))
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 3
    assert "another apply is running (process 1 on ci-runner-elsewhere" in result.output
    assert "remove the lock file by hand" in result.output
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.requests == 0
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert lock_path(repo.manifest).exists()
