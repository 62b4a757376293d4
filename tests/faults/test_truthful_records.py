"""Records that tell the truth and never get stuck: a run killed right after the server said
`done`, a file rewritten between plan and upload, a record copied from another manifest, and
Ctrl-C in the middle of a submission."""

from __future__ import annotations

import os
import signal

import pytest
import yaml

from crds_deliver.apply import Callbacks, Connection, FileChanged, deliver, planned_files
from crds_deliver.credentials import Credentials, Token
from crds_deliver.lock import lock_path
from crds_deliver.manifest import load_manifest
from crds_deliver.plan import make_plan
from crds_deliver.record import record_path
from tests.faults.helpers import (
    ingest_names,
    local_files,
    record_data,
    record_state,
    server_has_exactly,
    start_apply,
    wait_until,
)
from tests.fixtures.cli_process import CliProcess
from tests.fixtures.fits import write_jwst_ref
from tests.fixtures.repo import sandbox_env
from tests.fixtures.sandbox import SandboxWeb


def _apply_process(manifest, sb, *args: str) -> CliProcess:
    """apply, its output on a pipe: the tests kill it the moment it prints the `done` line,
    before it writes the results id that follows (a file read in a loop, as with the
    processes of start_apply, comes too late)."""
    return CliProcess(["apply", "--yes", str(manifest), *args],
                      env={**os.environ, **sandbox_env(sb)}, piped=True)


def test_killed_right_after_done_finishes_on_the_next_run(delivery_repo, sandbox, run_cli,
                                                          ledger):
    repo = delivery_repo(files=1)
    proc = _apply_process(repo.manifest, sandbox)
    for line in proc.stdout:
        if line.startswith(">> done:"):
            proc.kill()  # the done message is in the record, the results page is not
            break
    proc.wait()
    proc.stdout.close()
    assert record_state(repo.manifest) == "SUBMITTED"
    assert record_data(repo.manifest)["submission"]["results_id"] is None
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert "quiet" not in result.output
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "READY")
    assert data["state"] == "READY" and data["submission"]["results_id"]
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1


def test_server_already_confirmed_is_recorded_confirmed(delivery_repo, sandbox, run_cli,
                                                        ledger):
    """Killed after `done`, then confirmed on the web by a person: the re-run records
    CONFIRMED (what the server shows), not READY."""
    repo = delivery_repo(files=1)
    proc = _apply_process(repo.manifest, sandbox)
    for line in proc.stdout:
        if line.startswith(">> done:"):
            url = line.split(", ", 1)[1].strip()
            proc.kill()
            break
    proc.wait()
    proc.stdout.close()
    web = SandboxWeb(sandbox)  # a person confirms on the web
    web.login("miri")
    results_id = url.rstrip("/").rsplit("/", 1)[-1]
    answer = web.http.post(web.url("/submit_confirm/"), data={
        "results_id": results_id, "button": "confirm",
        "csrfmiddlewaretoken": web.csrf(f"/display_result/{results_id}/")}, timeout=60)
    assert answer.status_code == 200
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "CONFIRMED")
    assert data["state"] == "CONFIRMED"
    assert [t["state"] for t in data["transitions"]][-2:] == ["READY", "CONFIRMED"]
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1 and sandbox.stats.confirms == 1


def test_file_rewritten_after_plan_aborts_before_the_post(delivery_repo, sandbox, ledger):
    repo = delivery_repo(files=2)
    manifest = load_manifest(repo.manifest).manifest
    plan = make_plan(repo.manifest)
    victim = local_files(repo.manifest)[1]
    size = victim.stat().st_size
    write_jwst_ref(victim, {"DESCRIP": "MIRI imager dark a2 from 2026 flight dat!"},
                   shape=(8, 8))
    assert victim.stat().st_size == size  # same size, other bytes
    creds = Credentials(sandbox.username, Token(sandbox.token), "test", "test")
    connection = Connection(sandbox.url, creds, poll_seconds=0.1)
    with pytest.raises(FileChanged, match="changed after it was planned") as caught:
        deliver(manifest, planned_files(manifest, plan), [], connection, Callbacks())
    assert victim.name in str(caught.value)
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    assert ingest_names(sandbox) == []  # the uploads were taken back


def _copy_record(source, target) -> None:
    """`source`'s record written as `target`'s, with `target`'s own files and digest."""
    data = record_data(source)
    plan = make_plan(target)
    data["manifest"] = {"path": target.name, "digest": load_manifest(target).manifest.digest}
    data["files"] = [{"path": f.path, "name": f.path.rsplit("/", 1)[-1], "size": f.size,
                      "sha1": f.sha1, "sha256": f.sha256, "official_name": None,
                      "status": None} for f in plan.files]
    record_path(target).write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("button", ["confirm", "cancel"])
def test_record_copied_from_another_manifest_is_refused(button, delivery_repo, sandbox, run_cli,
                                                        ledger):
    repo = delivery_repo(files=1)
    other = repo.add_manifest("manifests/jwst/miri/other.yaml", files=1, tag="b")
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    _copy_record(repo.manifest, other)  # B's files and digest, A's submission
    result = run_cli([button, other], sandbox)
    assert result.exit_code == 5, result.output
    assert "are not this record's files" in result.output
    assert "Traceback" not in result.output
    assert sandbox.stats.confirms == 0 and sandbox.stats.cancels == 0
    data = record_data(other)
    ledger.record_kept(data["state"] == "READY")
    assert data["state"] == "READY"
    ledger.posts(1, sandbox.stats.submission_posts)


def test_ctrl_c_during_the_submission_leaves_a_resumable_record(delivery_repo, sandbox, run_cli,
                                                                ledger, tmp_path):
    repo = delivery_repo(files=1)
    # The server works on the post for a while (as a real one certifies for minutes): the
    # interrupt comes after the post reached it and before its answer.
    sandbox.settings.processing_delay = 5.0
    log = tmp_path / "apply.log"
    proc = start_apply(repo.manifest, sandbox, output=log)
    # The first progress message may already have moved the record on to SUBMITTED.
    wait_until(lambda: sandbox.stats.submission_posts == 1
               and record_state(repo.manifest) in ("SUBMITTING", "SUBMITTED"), proc,
               what="the post under way on the server")
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=60)
    output = log.read_text()
    assert code == 130, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if "interrupted" in line]
    assert len(lines) == 1 and "run `crds-deliver apply" in lines[0], output
    assert not lock_path(repo.manifest).exists()
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "READY")
    assert data["state"] == "READY"
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1, output + result.output
    assert server_has_exactly(sandbox, local_files(repo.manifest))
