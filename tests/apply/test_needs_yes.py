"""apply delivers unasked only with --yes: without a terminal to ask on (CI, a script, a pipe)
and without --yes it refuses before doing anything (exit 2), as `terraform apply` wants
`-auto-approve`; on a terminal it asks. The real console script, in its own process, against a
sandbox over HTTP (or the built-in one with --sandbox); the delivering re-run with --yes in a
warm fork of the command line."""

from __future__ import annotations

import os
import pty
import select
import time
from pathlib import Path

import pytest

from crds_deliver.record import record_path
from tests.fixtures.cli_process import run_command
from tests.fixtures.fork_client import Forked
from tests.fixtures.repo import sandbox_env

REFUSAL = ("error: apply asks before delivering and there is no terminal to ask on: give --yes "
           "to deliver without asking (as CI does)\n")


def _env(sb, **extra: str) -> dict[str, str]:
    """The user's variables for `sb`, without CI=true: only the missing terminal is tested."""
    env = {**os.environ, **sandbox_env(sb), **extra}
    env.pop("CI")
    return env


@pytest.mark.parametrize("where", ["server", "sandbox"])
def test_no_terminal_and_no_yes_refuses_before_anything(where, delivery_repo, sandbox,
                                                        tmp_path: Path) -> None:
    repo = delivery_repo(files=1)
    data = tmp_path / "sandbox-data"
    extra = ["--sandbox", "--sandbox-data", str(data)] if where == "sandbox" else []
    # forked warm (cli_process.py): stdin /dev/null, stdout and stderr files, no terminal
    done = run_command(["apply", *extra, repo.manifest], env=_env(sandbox), timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (done.stdout, done.stderr) == ("", REFUSAL)
    assert sandbox.stats.requests == 0 and sandbox.stats.submission_posts == 0
    assert not record_path(repo.manifest).exists()
    assert not data.exists()  # no built-in sandbox was started either

    # The same command with --yes delivers.
    delivered = run_command(["apply", "--yes", *extra, repo.manifest], env=_env(sandbox),
                            timeout=300)
    assert delivered.returncode == 0, delivered.stdout + delivered.stderr
    assert record_path(repo.manifest).exists()


def test_on_a_terminal_apply_asks_and_delivers_on_yes(delivery_repo, sandbox) -> None:
    repo = delivery_repo(files=1)
    leader, follower = pty.openpty()
    proc = Forked("crds-deliver", ["apply", str(repo.manifest)], _env(sandbox), os.getcwd(),
                  follower, follower, stdin=follower)  # the terminal's end, on all three
    os.close(follower)
    try:
        seen = _read_until(leader, b"[y/N]: ", timeout=120)
        assert b"deliver 1 file(s)" in seen and sandbox.stats.submission_posts == 0
        os.write(leader, b"y\n")
        seen += _read_until(leader, None, timeout=300)
        assert proc.wait(timeout=30) == 0, seen.decode(errors="replace")
    finally:
        proc.kill()
        os.close(leader)
    assert sandbox.stats.submission_posts == 1
    assert b"READY" in seen


def _read_until(fd: int, marker: bytes | None, timeout: float) -> bytes:
    """What the terminal shows until `marker` appears (None: until the program closes it)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker is not None and marker in seen:
            return seen
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the program ended and closed the terminal
            chunk = b""
        if not chunk:
            if marker is None:
                return seen
            break
        seen += chunk
    raise AssertionError(f"no {marker!r} on the terminal: {seen.decode(errors='replace')}")


def test_templates_and_docs_give_yes_wherever_they_run_apply() -> None:
    """The CI templates run apply without a terminal, and a pasted documented command must work
    in a script too: every `crds-deliver apply` they show carries --yes."""
    root = Path(__file__).resolve().parents[2]
    sources = [*root.joinpath("templates").rglob("*.yml"), root / "README.md",
               *root.joinpath("docs").glob("*.md")]
    commands = [(path.name, line.strip()) for path in sources
                for line in path.read_text().splitlines()
                if line.strip().startswith(("crds-deliver apply", "- crds-deliver apply",
                                            "run: crds-deliver apply"))
                and "PATH..." not in line]  # a synopsis (`apply [OPTIONS] PATH...`), not a run
    assert len(commands) >= 4, commands  # both templates, workflow.md, apply.md at least
    assert [c for c in commands if " --yes" not in c[1]] == []
