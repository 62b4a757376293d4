"""Exactly once across checkouts and runners: a run whose checkout lacks the record of the run
that delivered asks the server, adopts the submission that already holds its files and posts
nothing; runs delivering as one CRDS user take turns (a per-user lock on this machine, the
server's lock status across machines)."""

from __future__ import annotations

import os

from crds_deliver.record import load_record
from tests.faults.helpers import local_files, record_data, server_has_exactly
from tests.fixtures.cli_process import CliProcess
from tests.fixtures.repo import git, sandbox_env
from tests.fixtures.sandbox import SandboxWeb


def _clone(repo, target):
    git(repo.root.parent, "clone", "-q", str(repo.root), str(target))
    return target / repo.manifest.relative_to(repo.root)


def test_second_checkout_adopts_the_pending_submission(delivery_repo, sandbox, run_cli,
                                                       tmp_path, ledger):
    repo = delivery_repo(files=2)
    other = _clone(repo, tmp_path / "runner-two")  # checked out before the record existed
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    first = record_data(repo.manifest)
    result = run_cli(["apply", "--yes", other], sandbox)
    assert result.exit_code == 0, result.output
    assert "adopting it instead of posting again" in result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    second = record_data(other)
    consistent = (second["state"] == "READY"
                  and second["submission"]["results_id"] == first["submission"]["results_id"]
                  and [f["official_name"] for f in second["files"]]
                  == [f["official_name"] for f in first["files"]])
    ledger.record_kept(consistent)
    assert consistent, second
    assert server_has_exactly(sandbox, local_files(repo.manifest))


def test_second_checkout_records_a_confirmed_delivery_as_confirmed(delivery_repo, sandbox,
                                                                   run_cli, tmp_path, ledger):
    repo = delivery_repo(files=1, options={"auto_confirm": "true"})
    other = _clone(repo, tmp_path / "runner-two")
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    result = run_cli(["apply", "--yes", other], sandbox)
    assert result.exit_code == 0, result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1 and sandbox.stats.confirms == 1
    state = record_data(other)["state"]
    ledger.record_kept(state == "CONFIRMED")
    assert state == "CONFIRMED"


def test_four_checkouts_at_once_deliver_once(delivery_repo, sandbox, tmp_path, ledger):
    repo = delivery_repo(files=1)
    manifests = [_clone(repo, tmp_path / f"checkout-{i}") for i in range(4)]
    env = {**os.environ, **sandbox_env(sandbox), "CRDS_DELIVER_LOCK_DIR": str(tmp_path / "l")}
    logs = [tmp_path / f"apply-{i}.log" for i in range(len(manifests))]
    procs = [CliProcess(["apply", "--yes", m, "--wait"], env=env, output=log)
             for m, log in zip(manifests, logs, strict=True)]
    codes = [p.wait(timeout=300) for p in procs]
    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0, 0, 0], "\n".join(outputs)
    assert not any("Traceback" in o for o in outputs)
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    ids = {record_data(m)["submission"]["results_id"] for m in manifests}
    states = {record_data(m)["state"] for m in manifests}
    ledger.record_kept(len(ids) == 1 and states == {"READY"})
    assert len(ids) == 1 and states == {"READY"}


def test_without_wait_a_busy_user_exits_3_naming_the_holder(delivery_repo, sandbox, run_cli,
                                                            ledger):
    """Another machine (here: a web session) is delivering as the same user: the server's
    lock status says so before we log in, and we do not end that session."""
    repo = delivery_repo(files=1)
    web = SandboxWeb(sandbox)
    web.login("miri")  # the other machine's session holds miri
    result = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert result.exit_code == 3, result.output
    assert "already holds the lock of instrument 'miri'" in result.output
    assert "Use --wait" in result.output
    assert sandbox.stats.logins == 1  # we did not log in over that session
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0
    ledger.record_kept(load_record(repo.manifest) is None)
    web.get("/logout/")
    again = run_cli(["apply", "--yes", repo.manifest], sandbox)
    assert again.exit_code == 0, again.output
