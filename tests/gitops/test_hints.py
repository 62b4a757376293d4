"""Printed hints are commands that work when pasted; confirm and cancel say when nothing is
READY. Real git repositories, the sandbox, the real command line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.gitops.test_pending import _repo, _states


def test_ready_hint_confirms_when_pasted(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, ("darks",))
    data = tmp_path / "sandbox data"  # a space: the hint must quote it
    applied = cli("apply", "--sandbox", "--sandbox-data", str(data), "--yes", "manifests",
                  cwd=repo)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    hint = re.search(r"`(crds-deliver confirm [^`]+)`", applied.stdout)
    assert hint, applied.stdout
    words = shlex.split(hint.group(1))
    assert words[2:4] == ["--sandbox-data", str(data)]
    pasted = cli(*words[1:], cwd=repo)
    assert pasted.exit_code == 0, pasted.stdout + pasted.stderr
    assert _states(cli, repo) == {"darks": "CONFIRMED"}


def test_throwaway_sandbox_says_how_to_keep_it(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, ("darks",))
    applied = cli("apply", "--sandbox", "--yes", "manifests", cwd=repo)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert "apply with --sandbox-data DIR" in applied.stdout
    assert "crds-deliver confirm" not in applied.stdout  # it could not work


def test_confirm_and_cancel_say_when_nothing_is_ready(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, ("first", "second"))
    for command in ("confirm", "cancel"):
        result = cli(command, "manifests", cwd=repo)
        assert result.exit_code == 0
        assert result.stderr == f"nothing to {command}: none of the 2 manifests has a READY " \
                                "delivery\n"
