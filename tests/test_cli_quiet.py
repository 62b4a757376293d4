"""`--quiet`: apply, confirm, cancel and plan print only errors and each manifest's outcome.

A real git repository with real FITS files, a sandbox over HTTP, the command line in-process;
each quiet run is compared with what the same command prints without `--quiet`.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from crds_deliver.record import Record, State
from tests.fixtures.repo import CONSOLE_SCRIPT, sandbox_env


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_apply_quiet_prints_the_outcome_and_the_ready_hint_only(delivery_repo, sandbox,
                                                                 run_cli) -> None:
    repo = delivery_repo(files=1)
    loud_repo = delivery_repo(files=1, tag="b")
    loud = run_cli(["apply", loud_repo.manifest, "--yes"], sandbox)
    assert loud.exit_code == 0, loud.output
    assert any(line.startswith(("-- ", ">> ")) for line in _lines(loud.stderr))
    assert not any(line.startswith(("-- ", ">> ")) for line in _lines(loud.stdout))

    quiet = run_cli(["apply", repo.manifest, "--yes", "--commit", "-q"], sandbox)
    assert quiet.exit_code == 0, quiet.output
    outcome, hint = _lines(quiet.stdout)  # no steps, server messages or "committed" line
    assert outcome.startswith(f"{repo.manifest}: READY (results ")
    assert hint.startswith(f"{repo.manifest}: review the results page, then run ")
    assert quiet.stderr == ""
    assert Record.load(repo.manifest).state is State.READY  # it did deliver, and commit
    assert repo.git("log", "-1", "--format=%s").startswith(
        "Delivery manifests/jwst/miri/darks.yaml: READY")


@pytest.mark.parametrize("button, state", [("confirm", State.CONFIRMED),
                                           ("cancel", State.CANCELLED)])
def test_confirm_and_cancel_quiet_print_one_line(delivery_repo, sandbox, run_cli,
                                                 button: str, state: State) -> None:
    repo = delivery_repo(files=1)
    assert run_cli(["apply", repo.manifest, "--yes", "-q"], sandbox).exit_code == 0
    finished = run_cli([button, repo.manifest, "--quiet"], sandbox)
    assert finished.exit_code == 0, finished.output
    assert _lines(finished.stdout) == [line for line in _lines(finished.stdout)
                                       if line.startswith(f"{repo.manifest}: {state.value}")]
    assert len(_lines(finished.stdout)) == 1 and finished.stderr == ""
    assert Record.load(repo.manifest).state is state


def test_quiet_still_prints_errors(delivery_repo, sandbox, run_cli) -> None:
    repo = delivery_repo(files=1)
    repo.manifest.write_text(repo.manifest.read_text().replace("deliverer: ", "deliverer: \n#"))
    refused = run_cli(["apply", repo.manifest, "--yes", "-q"], sandbox)
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert f"{repo.manifest}: refused: " in refused.stderr
    assert "form.deliverer" in refused.stderr
    assert sandbox.stats.logins == 0


def test_quiet_and_verbose_together_are_a_usage_error(delivery_repo, sandbox) -> None:
    repo = delivery_repo(files=1)
    env = dict(os.environ, **sandbox_env(sandbox))
    for command in (["apply", "--yes"], ["confirm"], ["cancel"]):
        done = subprocess.run([CONSOLE_SCRIPT, *command, repo.manifest, "-q", "-v"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr == "error: --quiet and --verbose contradict each other: give one " \
                              "of them\n"
    assert sandbox.stats.requests == 0


def test_plan_quiet_prints_a_line_per_manifest_and_its_errors(delivery_repo, run_cli) -> None:
    repo = delivery_repo(files=2)
    broken = repo.add_manifest("manifests/jwst/miri/broken.yaml")
    broken.write_text(broken.read_text().replace("deliverer: ", "deliverer: \n#"))
    full = run_cli(["plan", repo.root])
    quiet = run_cli(["plan", repo.root, "--quiet"])
    assert full.exit_code == quiet.exit_code == 1
    assert "sha256" in full.stdout and "sha256" not in quiet.stdout  # no file table
    lines = _lines(quiet.stdout)
    assert lines[0].startswith(f"{repo.root}/manifests/jwst/miri/broken.yaml: REFUSE: ")
    assert lines[1].startswith("  ") and "form.deliverer" in lines[1]
    assert lines[2:] == [f"{repo.manifest}: DELIVER jwst miri → bit: 2 file(s) pass preflight"]
