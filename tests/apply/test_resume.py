"""Crashes between steps: a re-run resumes from the record and never posts the form twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from crds_deliver.lock import lock_path
from crds_deliver.record import record_path
from crds_deliver.sandbox import SandboxSettings
from tests.fixtures.repo import sandbox_env


def _start_apply(manifest: Path, sb) -> subprocess.Popen:
    env = {**os.environ, **sandbox_env(sb)}
    return subprocess.Popen([sys.executable, "-m", "crds_deliver", "apply", str(manifest)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_state(manifest: Path, state: str, proc: subprocess.Popen,
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

    result = run_cli(["apply", repo.manifest], sb)
    assert result.exit_code == 0, result.output
    assert "stale lock" in result.output
    data = yaml.safe_load(record_path(repo.manifest).read_text())
    assert data["state"] == "READY"
    assert [t["state"] for t in data["transitions"]] == ["SUBMITTING", "SUBMITTED", "READY"]
    ids = [m["id"] for m in data["messages"]]
    assert len(ids) == len(set(ids))  # messages seen by both runs are kept once
    assert sb.stats.submission_posts == 1
    assert not lock_path(repo.manifest).exists()


def test_killed_before_the_post_stops_for_a_human(delivery_repo, sandbox_factory, run_cli):
    sb = sandbox_factory("jwst")
    # Hold the submission form GET (made after SUBMITTING is written, before the post).
    sb.faults.delay(4.0, count=1, path_prefix="/submission_form/")
    repo = delivery_repo(files=1)
    proc = _start_apply(repo.manifest, sb)
    _wait_for_state(repo.manifest, "SUBMITTING", proc)
    proc.kill()
    proc.wait()

    result = run_cli(["apply", repo.manifest], sb)
    assert result.exit_code == 1
    assert "delete darks.result.yaml and apply again" in result.output
    assert sb.stats.submission_posts == 0

    record_path(repo.manifest).unlink()
    result = run_cli(["apply", repo.manifest], sb)
    assert result.exit_code == 0, result.output
    assert sb.stats.submission_posts == 1


def test_second_apply_of_the_same_manifest_fails_fast(delivery_repo, sandbox_factory,
                                                       run_cli):
    sb = sandbox_factory("jwst", settings=SandboxSettings(processing_delay=3.0,
                                                          post_done_delay=0.05))
    repo = delivery_repo(files=1)
    proc = _start_apply(repo.manifest, sb)
    _wait_for_state(repo.manifest, "SUBMITTED", proc)
    result = run_cli(["apply", repo.manifest], sb)
    assert result.exit_code == 1
    assert "another apply is running" in result.output
    assert proc.wait(timeout=60) == 0
    assert sb.stats.submission_posts == 1
    assert yaml.safe_load(record_path(repo.manifest).read_text())["state"] == "READY"


def test_results_id_known_but_page_unread_resumes_from_the_page(delivery_repo, sandbox,
                                                                run_cli):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", repo.manifest], sandbox).exit_code == 0
    path = record_path(repo.manifest)
    data = yaml.safe_load(path.read_text())
    data["state"] = "SUBMITTED"  # as if the run died right after the done message
    data["transitions"] = data["transitions"][:-1]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run_cli(["apply", repo.manifest], sandbox)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(path.read_text())["state"] == "READY"
    assert sandbox.stats.submission_posts == 1
