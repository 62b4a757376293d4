"""A progress channel that never reports `done`: the wait is bounded, the record is left
resumable (never a state the server did not confirm), and a later run converges."""

from __future__ import annotations

import pytest

from crds_deliver.apply import Callbacks, Connection, HumanActionNeeded, deliver, planned_files
from crds_deliver.crds import Timeouts
from crds_deliver.credentials import Credentials, Token
from crds_deliver.manifest import load_manifest
from crds_deliver.plan import make_plan
from crds_deliver.sandbox import SandboxSettings
from tests.faults.helpers import local_files, record_data, server_has_exactly, wait_until
from tests.fixtures.sandbox import SandboxWeb

QUICK = Timeouts(connect=2.0, read=5.0, submit=0.5, quiet=0.5)


def _deliver(sb, path, timeouts=QUICK, callbacks=None):
    manifest = load_manifest(path).manifest
    plan = make_plan(path)
    creds = Credentials(sb.username, Token(sb.token), "test", "test")
    connection = Connection(sb.url, creds, timeouts=timeouts, poll_seconds=0.1)
    return deliver(manifest, planned_files(manifest, plan), [], connection, callbacks)


def _done(sb, key: str) -> bool:
    return any(m["type"] == "done" for m in SandboxWeb(sb).messages(key))


def test_silent_channel_while_the_server_works_is_a_bounded_wait(delivery_repo,
                                                                 sandbox_factory, ledger):
    sb = sandbox_factory("jwst", settings=SandboxSettings(processing_delay=6.0,
                                                          post_done_delay=0.05))
    repo = delivery_repo(files=1)
    with pytest.raises(HumanActionNeeded, match="stays SUBMITTED"):
        _deliver(sb, repo.manifest)  # the post times out; the channel then stays quiet
    key = record_data(repo.manifest)["submission"]["channel"]
    assert not _done(sb, key)  # we gave up before the server finished
    with pytest.raises(HumanActionNeeded, match="quiet"):
        _deliver(sb, repo.manifest)  # resuming: still quiet, still bounded
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "SUBMITTED" and data["submission"]["results_id"] is None)
    assert data["state"] == "SUBMITTED"

    wait_until(lambda: _done(sb, key), timeout=30, what="the server's done")
    outcome = _deliver(sb, repo.manifest)
    assert outcome.state.value == "READY"
    ledger.posts(1, sb.stats.submission_posts)
    assert sb.stats.submission_posts == 1
    assert server_has_exactly(sb, local_files(repo.manifest))


def test_post_lost_before_the_server_saw_it_is_delivered_afresh(delivery_repo, sandbox, run_cli,
                                                              ledger):
    repo = delivery_repo(files=1)

    def step(text: str) -> None:
        if text.startswith("submitting"):  # the record says SUBMITTING: lose the post itself
            sandbox.faults.drop_connection(1, path_prefix="/submission_form/")

    with pytest.raises(HumanActionNeeded, match="stays SUBMITTING"):
        _deliver(sandbox, repo.manifest, callbacks=Callbacks(step=step))
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0
    ledger.record_kept(record_data(repo.manifest)["state"] == "SUBMITTING")

    # No trace on the channel nor of the files for CRDS_DELIVER_QUIET_SECONDS: the post never
    # left; the re-run says so and delivers afresh, once.
    result = run_cli(["apply", "--yes", repo.manifest], sandbox,
                     env={"CRDS_DELIVER_QUIET_SECONDS": "1"})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "died before the post reached the server; delivering afresh" in result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    ledger.record_kept(record_data(repo.manifest)["state"] == "READY")
