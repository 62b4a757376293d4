"""A misbehaving network and server during apply: each case checks the server's end state
(posts counted, ingest area, catalog) and the result record."""

from __future__ import annotations

from crds_deliver.apply import Callbacks, Connection, deliver, planned_files
from crds_deliver.crds import Timeouts
from crds_deliver.credentials import Credentials, Token
from crds_deliver.manifest import load_manifest
from crds_deliver.plan import make_plan
from crds_deliver.record import record_path
from tests.faults.helpers import (
    ingest_names,
    local_files,
    record_data,
    server_has_exactly,
)


def _deliver(sb, manifest_path, timeouts: Timeouts | None = None, callbacks=None):
    manifest = load_manifest(manifest_path).manifest
    plan = make_plan(manifest_path)
    creds = Credentials(sb.username, Token(sb.token), "test", "test")
    connection = Connection(sb.url, creds, timeouts=timeouts, poll_seconds=0.1)
    return deliver(manifest, planned_files(manifest, plan), [], connection, callbacks)


def test_connection_dropped_mid_chunk_resumes_without_a_corrupt_file(delivery_repo, sandbox,
                                                                     run_cli, ledger):
    repo = delivery_repo(files=1, shape=(900, 900))  # ~6.5 MB: four chunks
    sandbox.faults.drop_connection(1, path_prefix="/upload/chunked/")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    assert server_has_exactly(sandbox, local_files(repo.manifest))
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "READY")
    assert data["state"] == "READY"


def test_chunk_answered_after_it_was_kept_is_not_stored_twice(delivery_repo, sandbox, run_cli,
                                                              ledger):
    repo = delivery_repo(files=1, shape=(900, 900))
    sandbox.faults.drop_connection(1, path_prefix="/upload/chunked/", after_processing=True)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert server_has_exactly(sandbox, local_files(repo.manifest))
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")


def test_502_burst_on_reads_is_retried_with_backoff(delivery_repo, sandbox, run_cli, ledger):
    repo = delivery_repo(files=1)
    sandbox.faults.error_status(502, count=3, path_prefix="/json/")
    result = run_cli(["apply", "--yes", repo.manifest, "-v"], sandbox)
    assert result.exit_code == 0, result.output
    assert "(attempt 4)" in result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")
    assert record_data(repo.manifest)["state"] == "READY"


def test_500_burst_longer_than_the_retries_fails_clearly_before_any_trace(delivery_repo,
                                                                         sandbox, run_cli,
                                                                         ledger):
    repo = delivery_repo(files=1)
    sandbox.faults.error_status(502, count=20, path_prefix="/upload/list/")
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 4
    assert "upload/list: HTTP 502" in result.output
    assert "Traceback" not in result.output
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    sandbox.faults.clear()
    assert ingest_names(sandbox) == []


def _on_step(starting: str, action) -> Callbacks:
    """Callbacks that flip a fault when apply announces the step starting with `starting`."""
    def step(text: str) -> None:
        if text.startswith(starting):
            action()
    return Callbacks(step=step)


def test_502_on_the_submission_post_is_not_retried_and_fails_clearly(delivery_repo, sandbox,
                                                                     ledger):
    repo = delivery_repo(files=1)
    # flipped once the record says SUBMITTING, so only the post itself gets the 502
    callbacks = _on_step("submitting", lambda: sandbox.faults.error_status(
        502, count=1, path_prefix="/submission_form/"))
    outcome = _deliver(sandbox, repo.manifest, callbacks=callbacks)
    assert outcome.state.value == "FAILED"
    assert "HTTP 502" in record_data(repo.manifest)["error"]
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0  # the 502 was answered instead of processing
    assert sandbox.stats.requests > 0
    ledger.record_kept(record_data(repo.manifest)["state"] == "FAILED")


def test_read_timeouts_are_retried(delivery_repo, sandbox, ledger):
    repo = delivery_repo(files=1)
    sandbox.faults.delay(1.5, count=2, path_prefix="/json/")
    outcome = _deliver(sandbox, repo.manifest, timeouts=Timeouts(read=0.5))
    assert outcome.state.value == "READY"
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")


def test_session_expired_between_steps_logs_in_again(delivery_repo, sandbox, ledger):
    repo = delivery_repo(files=2)
    fired = []

    def upload(name: str, sent: int, total: int) -> None:
        if sent >= total and not fired:  # first file uploaded: the session times out
            fired.append(name)
            sandbox.faults.expire_sessions()

    outcome = _deliver(sandbox, repo.manifest, callbacks=Callbacks(upload=upload))
    assert fired
    assert outcome.state.value == "READY", outcome.summary
    assert sandbox.stats.logins == 2
    ledger.posts(1, sandbox.stats.submission_posts)
    assert server_has_exactly(sandbox, local_files(repo.manifest))
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")


def test_instrument_lock_released_later_delivers_once(delivery_repo, sandbox, run_cli, ledger):
    repo = delivery_repo(files=1)
    sandbox.faults.hold_lock("miri", "another_user")
    first = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert first.exit_code == 4
    assert "User 'another_user' has already locked instrument 'miri'" in first.output
    assert not record_path(repo.manifest).exists()
    sandbox.faults.release_lock("miri")
    second = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert second.exit_code == 0, second.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")
