"""No record is a dead end: a throw-away sandbox leaves no record behind (confirm and cancel
would need a server that is gone), and `crds-deliver forget` drops any record after saying
what that means on the server (nothing is sent there). A record made on another server is a
clear error, not a bare 404."""

from __future__ import annotations

import os
import subprocess
import sys

from crds_deliver.record import record_path
from tests.faults.helpers import record_data
from tests.fixtures.repo import sandbox_env


def test_throwaway_sandbox_leaves_no_record(delivery_repo, run_cli, ledger):
    repo = delivery_repo(files=1)
    result = run_cli(["apply", repo.manifest, "--sandbox", "--yes"], env={"CI": "true"})
    assert result.exit_code == 0, result.output
    assert "READY" in result.output
    assert "throw-away sandbox: its record was not kept" in result.output
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    again = run_cli(["plan", repo.manifest])
    assert again.exit_code == 0 and "deliver" in again.output.lower()


def test_forget_says_what_it_means_then_drops_the_record(delivery_repo, sandbox, run_cli,
                                                         ledger):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    results_id = record_data(repo.manifest)["submission"]["results_id"]
    refused = subprocess.run([sys.executable, "-m", "crds_deliver", "forget",
                              str(repo.manifest)], env={**os.environ, "CI": "true"},
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert record_path(repo.manifest).exists()
    result = run_cli(["forget", repo.manifest, "--yes"])
    assert result.exit_code == 0, result.output
    assert "nothing is sent to the server" in result.output
    assert "stays pending there until someone confirms or cancels it" in result.output
    assert results_id in result.output
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    # the next apply finds the pending submission on the server and adopts it: no second post
    again = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert again.exit_code == 0, again.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    assert record_data(repo.manifest)["submission"]["results_id"] == results_id


def test_forget_drops_a_damaged_record(delivery_repo, run_cli, ledger):
    repo = delivery_repo(files=1)
    record_path(repo.manifest).write_text("state: CONFIRMED\n")
    result = run_cli(["forget", repo.manifest, "--yes"])
    assert result.exit_code == 0, result.output
    assert "not a valid result record" in result.output
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()


def test_ready_record_of_another_server_is_a_clear_error(delivery_repo, sandbox_factory,
                                                         run_cli, ledger):
    first, second = sandbox_factory("jwst"), sandbox_factory("jwst")
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], first).exit_code == 0
    env = {**sandbox_env(second), "MAST_API_TOKEN": second.token}
    result = run_cli(["confirm", repo.manifest], second, env=env)
    assert result.exit_code == 5, result.output
    assert "was the record made on this server" in result.output
    assert first.url in result.output
    assert "Traceback" not in result.output
    ledger.posts(0, second.stats.submission_posts)
    state = record_data(repo.manifest)["state"]
    ledger.record_kept(state == "READY")
    assert state == "READY"
