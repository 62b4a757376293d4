"""Manifests and records that are not what they seem: a FIFO (would block forever), a
symbolic link to /dev/zero (endless, although stat says 0 bytes), a forged record that only
says `state: CONFIRMED`, a record with an injected key. Each is a located error and a non-zero
exit, in bounded time, never a traceback and never trusted."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from crds_deliver.record import record_path
from tests.fixtures.cli_process import run_command
from tests.fixtures.repo import sandbox_env

HANG_GUARD = 60  # seconds: only there so a regression fails instead of blocking the suite


def _run(sb, *args) -> subprocess.CompletedProcess:
    return run_command(args, env={**os.environ, **sandbox_env(sb)}, timeout=HANG_GUARD)


def _special(path, kind: str) -> None:
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")


COMMANDS = pytest.mark.parametrize("command", [["validate"], ["plan"], ["apply", "--yes"]],
                                   ids=lambda words: words[0])


@COMMANDS
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_manifest_that_is_not_a_regular_file(kind, command, delivery_repo, sandbox, ledger):
    repo = delivery_repo(files=1)
    _special(repo.manifest, kind)
    done = _run(sandbox, *command, repo.manifest)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output
    what = "FIFO" if kind == "fifo" else "character device"
    assert f"{repo.manifest}: the file is a {what}" in output, output
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.requests == 0


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_record_that_is_not_a_regular_file(kind, delivery_repo, sandbox, ledger):
    repo = delivery_repo(files=1)
    _special(record_path(repo.manifest), kind)
    done = _run(sandbox, "apply", "--yes", repo.manifest)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output
    assert "not a regular file" in output, output
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "forged"])
def test_history_shows_a_record_it_cannot_trust_as_unreadable(kind, delivery_repo, sandbox,
                                                              run_cli):
    """history reads records as apply does: a special file does not block it, and a forged
    record's state is not shown as the delivery's."""
    repo = delivery_repo(files=1)
    other = repo.add_manifest("manifests/jwst/miri/other.yaml", files=1, tag="o")
    assert run_cli(["apply", "--yes", other], sandbox).exit_code == 0
    if kind == "forged":
        record_path(repo.manifest).write_text("state: CONFIRMED\n")
    else:
        _special(record_path(repo.manifest), kind)
    done = _run(sandbox, "history", "-f", "json", repo.root)
    assert done.returncode == 0, done.stdout + done.stderr
    states = {row["manifest"]: row["state"] for row in json.loads(done.stdout)}
    assert states == {"manifests/jwst/miri/darks.result.yaml": "unreadable",  # the bad file
                      "manifests/jwst/miri/other.yaml": "READY"}


FORGED = {
    "bare-state": lambda data: {"state": "CONFIRMED"},
    "injected-key": lambda data: {**data, "trusted": True},
    "bad-sha1": lambda data: {**data, "files": [{**data["files"][0], "sha1": "nope"}]},
    "unknown-state": lambda data: {**data, "state": "DONE"},
}


@pytest.mark.parametrize("case", sorted(FORGED))
@COMMANDS
def test_forged_record_is_a_located_error(case, command, delivery_repo, sandbox, run_cli,
                                          ledger):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], sandbox).exit_code == 0
    data = yaml.safe_load(record_path(repo.manifest).read_text())
    record_path(repo.manifest).write_text(yaml.safe_dump(FORGED[case](data)))
    posts = sandbox.stats.submission_posts
    result = run_cli([*command, repo.manifest], sandbox)
    assert result.exit_code != 0, result.output
    assert f"{record_path(repo.manifest)}: not a valid result record" in result.output
    assert "Traceback" not in result.output
    ledger.posts(posts, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == posts
