"""`crds-deliver validate` as users and CI run it: a real process, real files, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fixtures.examples import copy_examples
from tests.test_manifest import FOUR_FAULTS

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crds_deliver", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("crds-deliver ")


def test_example_manifests_are_valid(tmp_path):
    examples = copy_examples(tmp_path / "manifests")
    result = run("validate", str(examples))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all valid" in result.stdout


def test_invalid_manifest_exits_1_with_located_lines(tmp_path):
    (tmp_path / "bad.yaml").write_text(FOUR_FAULTS)
    result = run("validate", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "bad.yaml:5:1: form: missing required field 'deliverer'"
    assert lines[1].startswith("bad.yaml:6:15: form.instrument: 'nircam' is not an instrument")
    assert lines[-1] == "1 manifest checked, 1 invalid, 4 problems"
    assert "Traceback" not in result.stderr


def test_json_format_reports_the_same(tmp_path):
    (tmp_path / "bad.yaml").write_text(FOUR_FAULTS)
    (tmp_path / "sub").mkdir()
    shutil.copy(next((REPO / "manifests").rglob("*imager-darks.yaml")), tmp_path / "sub/ok.yaml")
    result = run("validate", "--format", "json", str(tmp_path))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["summary"] == {"manifests": 2, "invalid": 1, "problems": 4}
    bad = next(m for m in data["manifests"] if m["path"].endswith("bad.yaml"))
    assert [p["line"] for p in bad["problems"]] == [5, 6, 8, 16]
    assert bad["problems"][0]["field"] == "form"


def test_usage_errors_exit_2(tmp_path):
    assert run("validate").returncode == 2
    missing = run("validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert run("validate", str(tmp_path)).returncode == 2  # a folder with no manifests
    assert run("validate", "--format", "xml", str(tmp_path)).returncode == 2
