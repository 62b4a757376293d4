"""docs/examples/notebook_delivery.py, the worked example, runs as written and leaves a
manifest that the command line validates and a CONFIRMED record next to it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from tests.fixtures.cli_process import run_command
from tests.fixtures.fork_client import run_to_end

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/notebook_delivery.py"


def test_the_worked_example_runs_and_its_manifest_validates(tmp_path: Path) -> None:
    script = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, script)
    # `python notebook_delivery.py`, forked from the run's warm python service
    code, out, err = run_to_end("python", [script.name], os.environ, str(tmp_path), 300)
    assert code == 0, out + err
    manifest = tmp_path / "manifests/jwst/miri/2026-11-notebook-dark.yaml"
    assert "DELIVER jwst miri → bit" in out
    assert f"{manifest}: READY" in out and f"{manifest}: CONFIRMED" in out
    record = yaml.safe_load(manifest.with_name(manifest.stem + ".result.yaml").read_text())
    assert record["state"] == "CONFIRMED" and record["server"]["sandbox"] is True
    checked = run_command(["validate", manifest])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert yaml.safe_load(manifest.read_text())["files"] == [
        "../../../refs/jwst_miri_dark_*.fits"]
