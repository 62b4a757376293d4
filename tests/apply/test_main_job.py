"""The README's main job on a copy of the example repository: `apply manifests/ --sandbox
--yes`, then confirm against the sandbox state left in --sandbox-data."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from crds_deliver.manifest import find_manifests
from crds_deliver.record import record_path, schema_errors
from tests.fixtures.repo import git

EXAMPLES = Path(__file__).resolve().parents[2] / "manifests"


def test_apply_examples_to_the_sandbox_then_confirm(tmp_path, run_cli):
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root / "manifests",
                    ignore=shutil.ignore_patterns("*.result.yaml", ".*.lock"))
    git(root, "init", "-q")
    # The examples confirm automatically; one waits for review here, to confirm it later.
    held = next((root / "manifests").rglob("*uvis-bias.yaml"))
    held.write_text(held.read_text().replace("auto_confirm: true", "auto_confirm: false"))
    manifests = find_manifests([root / "manifests"])
    assert manifests
    data_dir = tmp_path / "sandbox-data"

    result = run_cli(["apply", root / "manifests", "--sandbox", "--yes",
                      "--sandbox-data", data_dir], env={"CI": "true"})
    assert result.exit_code == 0, result.output
    for manifest in manifests:
        data = yaml.safe_load(record_path(manifest).read_text())
        assert schema_errors(data) == [], manifest
        assert data["server"]["sandbox"] is True
        assert data["state"] in ("READY", "CONFIRMED")

    ready = [m for m in manifests
             if yaml.safe_load(record_path(m).read_text())["state"] == "READY"]
    assert ready == [held]
    result = run_cli(["confirm", root / "manifests", "--sandbox-data", data_dir])
    assert result.exit_code == 0, result.output
    for manifest in ready:
        data = yaml.safe_load(record_path(manifest).read_text())
        assert data["state"] == "CONFIRMED" and schema_errors(data) == []

    again = run_cli(["apply", root / "manifests", "--sandbox", "--yes",
                     "--sandbox-data", data_dir])
    assert again.exit_code == 0 and "nothing left to do" in again.output
