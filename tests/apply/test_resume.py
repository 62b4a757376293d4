"""Crashes between steps: a re-run resumes from the record and never posts the form twice."""

from __future__ import annotations

import os
import time
from pathlib import Path

import yaml

from crds_deliver.lock import lock_path
from crds_deliver.plan import make_plan
from crds_deliver.record import record_path
from crds_deliver.sandbox import SandboxSettings
from tests.fixtures.cli_process import CliProcess
from tests.fixtures.repo import sandbox_env


def _start_apply(manifest: Path, sb) -> CliProcess:
    return CliProcess(["apply", "--yes", manifest], env={**os.environ, **sandbox_env(sb)})


def _wait_for_state(manifest: Path, state: str, proc: CliProcess,
                    timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = record_path(manifest)
        if path.exists() and (yaml.safe_load(path.read_text()) or {}).get("state") == state:
            return
        assert proc.poll() is None, "apply ended before reaching " + state
        time.sleep(0.02)
    raise AssertionError(f"record never reached {state}")


def test_killed_after_submitted_resumes_from_the_channel(delivery_repo, sandbox_factory,
                                                        run_cli):
    sb = sandbox_factory("jwst", settings=SandboxSettings(processing_delay=3.0,
                                                          post_done_delay=0.05))
    repo = delivery_repo(files=1)
    proc = _start_apply(repo.manifest, sb)
    _wait_for_state(repo.manifest, "SUBMITTED", proc)
    proc.kill()
    proc.wait()
    assert lock_path(repo.manifest).exists()  # left behind by the killed process

    result = run_cli(["apply", "--yes", repo.manifest], sb)
    assert result.exit_code == 0, result.output
    assert "stale lock" in result.output
    data = yaml.safe_load(record_path(repo.manifest).read_text())
    assert data["state"] == "READY"
    assert [t["state"] for t in data["transitions"]] == ["SUBMITTING", "SUBMITTED", "READY"]
    ids = [m["id"] for m in data["messages"]]
    assert len(ids) == len(set(ids))  # messages seen by both runs are kept once
    assert sb.stats.submission_posts == 1
    assert not lock_path(repo.manifest).exists()


def test_killed_while_posting_waits_for_the_held_post_then_resumes(delivery_repo,
                                                                   sandbox_factory, run_cli):
    sb = sandbox_factory("jwst")
    # The form GET (before SUBMITTING) and the post (after it) are held by the server; the
    # post is killed while held, so nothing shows on the channel yet.
    sb.faults.delay(0.5, count=1, path_prefix="/submission_form/")  # the GET
    sb.faults.delay(5.0, count=1, path_prefix="/submission_form/")  # the post
    repo = delivery_repo(files=1)
    # The re-run below plans in this process before it looks for the post, and must look
    # while the post is still held: planned here first, its verdicts are remembered (memo.py)
    # and that plan costs milliseconds, not the seconds of crds's first JWST check in a
    # process that has not made one yet.
    make_plan(repo.manifest)
    proc = _start_apply(repo.manifest, sb)
    _wait_for_state(repo.manifest, "SUBMITTING", proc)
    time.sleep(0.5)  # the post is on its way, held by the server
    proc.kill()
    proc.wait()
    assert sb.stats.submission_posts == 0

    # No trace yet: the re-run watches (up to Timeouts.quiet) until the held post shows on
    # the channel, then follows it; it never posts again.
    result = run_cli(["apply", "--yes", repo.manifest], sb)
    assert result.exit_code == 0, result.output
    assert "no trace of the submission on the server yet" in result.output
    assert yaml.safe_load(record_path(repo.manifest).read_text())["state"] == "READY"
    assert sb.stats.submission_posts == 1


def test_second_apply_of_the_same_manifest_fails_fast(delivery_repo, sandbox_factory,
                                                       run_cli):
    sb = sandbox_factory("jwst", settings=SandboxSettings(processing_delay=3.0,
                                                          post_done_delay=0.05))
    repo = delivery_repo(files=1)
    proc = _start_apply(repo.manifest, sb)
    _wait_for_state(repo.manifest, "SUBMITTED", proc)
    result = run_cli(["apply", "--yes", repo.manifest], sb)
    assert result.exit_code == 3
    assert "another apply is running" in result.output
    assert proc.wait(timeout=60) == 0
    assert sb.stats.submission_posts == 1
    assert yaml.safe_load(record_path(repo.manifest).read_text())["state"] == "READY"


def test_results_id_known_but_page_unread_resumes_from_the_page(delivery_repo, sandbox,
                                                                run_cli):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    path = record_path(repo.manifest)
    data = yaml.safe_load(path.read_text())
    data["state"] = "SUBMITTED"  # as if the run died right after the done message
    data["transitions"] = data["transitions"][:-1]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(path.read_text())["state"] == "READY"
    assert sandbox.stats.submission_posts == 1


def test_post_without_answer_follows_the_channel(delivery_repo, sandbox_factory):
    """The post times out client-side while the server goes on: the channel still tells."""
    from crds_deliver.apply import Connection, deliver, planned_files
    from crds_deliver.crds import Timeouts
    from crds_deliver.credentials import Credentials, Token
    from crds_deliver.manifest import load_manifest
    from crds_deliver.plan import make_plan

    sb = sandbox_factory("jwst", settings=SandboxSettings(processing_delay=2.0,
                                                          post_done_delay=0.05))
    repo = delivery_repo(files=1)
    manifest = load_manifest(repo.manifest).manifest
    plan = make_plan(repo.manifest)
    creds = Credentials(sb.username, Token(sb.token), "test", "test")
    connection = Connection(sb.url, creds, timeouts=Timeouts(submit=0.5), poll_seconds=0.2)
    outcome = deliver(manifest, planned_files(manifest, plan), [], connection)
    assert outcome.state.value == "READY"
    assert sb.stats.submission_posts == 1
