"""The tutorial's path, end to end in a real git repository against the sandbox: a manifest
from `new`, filled in, validated, pinned, applied, confirmed, in the history, then SKIP."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.gitops.conftest import EXAMPLE
from tests.gitops.test_new import FILLED

MANIFEST = "manifests/jwst/miri/2026-11-imager-darks.yaml"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def test_tutorial_from_new_to_confirmed(cli, tmp_path: Path) -> None:
    repo = tmp_path / "miri-darks"
    refs = repo / "manifests/jwst/miri/refs"
    refs.mkdir(parents=True)
    for fits in sorted((EXAMPLE.parent / "refs").glob("jwst_miri_dark_*.fits")):
        shutil.copy(fits, refs)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "jane@example.org")
    _git(repo, "config", "user.name", "Jane Doe")
    _git(repo, "add", "manifests")
    _git(repo, "commit", "-qm", "MIRI darks")

    assert cli("schema", "export", cwd=repo).exit_code == 0
    made = cli("new", MANIFEST, "--instrument", "miri", "--files",
               "manifests/jwst/miri/refs/jwst_miri_dark_*.fits", "--no-interactive", cwd=repo)
    assert made.exit_code == 0
    assert "matches no file" not in made.stdout
    path = repo / MANIFEST
    text = path.read_text()
    assert text.startswith(
        "# yaml-language-server: $schema=../../../schemas/delivery.schema.json\n")
    for old, new in FILLED.items():
        text = text.replace(old, new)
    path.write_text(text)
    assert cli("validate", "manifests", cwd=repo).stdout == "1 manifest checked, all valid\n"
    planned = cli("plan", "--pin", "manifests", cwd=repo)
    assert planned.exit_code == 0, planned.stdout
    assert "pinned:" in path.read_text()
    _git(repo, "add", "manifests", "schemas")
    _git(repo, "commit", "-qm", "Deliver new MIRI imager darks")

    sandbox = str(tmp_path / "sandbox-data")
    applied = cli("apply", "--sandbox", "--sandbox-data", sandbox, "--yes", "--commit",
                  "manifests", cwd=repo)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert f"{MANIFEST}: READY" in applied.stdout
    confirmed = cli("confirm", "--sandbox-data", sandbox, "--commit", "manifests", cwd=repo)
    assert confirmed.exit_code == 0, confirmed.stdout + confirmed.stderr
    assert f"{MANIFEST}: CONFIRMED" in confirmed.stdout

    history = json.loads(cli("history", "--format", "json", cwd=repo).stdout)
    assert "CONFIRMED" in json.dumps(history)
    again = json.loads(cli("plan", "--format", "json", "manifests", cwd=repo).stdout)
    assert [m["action"] for m in again["manifests"]] == ["SKIP"]
    log = _git(repo, "log", "--format=%s").splitlines()
    assert len(log) == 4 and "CONFIRMED" in log[0] and "READY" in log[1]
    assert _git(repo, "status", "--porcelain") == ""
