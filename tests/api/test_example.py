"""docs/examples/notebook_delivery.py, the worked example, runs as written and leaves a
manifest that the command line validates and a CONFIRMED record next to it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/notebook_delivery.py"


def test_the_worked_example_runs_and_its_manifest_validates(tmp_path: Path) -> None:
    script = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, script)
    ran = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    manifest = tmp_path / "manifests/jwst/miri/2026-11-notebook-dark.yaml"
    assert "DELIVER jwst miri → bit" in ran.stdout
    assert f"{manifest}: READY" in ran.stdout and f"{manifest}: CONFIRMED" in ran.stdout
    record = yaml.safe_load(manifest.with_name(manifest.stem + ".result.yaml").read_text())
    assert record["state"] == "CONFIRMED" and record["server"]["sandbox"] is True
    checked = subprocess.run([sys.executable, "-m", "crds_deliver", "validate", str(manifest)],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert yaml.safe_load(manifest.read_text())["files"] == [
        "../../../refs/jwst_miri_dark_*.fits"]
