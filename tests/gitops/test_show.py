"""`crds-deliver show PATH [--open]`: the results page of a delivery from its record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.gitops.test_pending import _repo

MANIFEST = "manifests/darks/delivery.yaml"


def _applied(cli, tmp_path: Path) -> tuple[Path, str]:
    repo = _repo(tmp_path, ("darks",))
    applied = cli("apply", "--sandbox", "--sandbox-data", str(tmp_path / "sb"), "--yes",
                  MANIFEST, cwd=repo)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    record = yaml.safe_load((repo / "manifests/darks/delivery.result.yaml").read_text())
    return repo, record["submission"]["results_url"]


def test_show_prints_the_results_page_of_a_manifest_or_its_record(cli, tmp_path: Path) -> None:
    repo, url = _applied(cli, tmp_path)
    assert "/display_result/" in url
    for path in (MANIFEST, "manifests/darks/delivery.result.yaml"):
        shown = cli("show", path, cwd=repo)
        assert (shown.exit_code, shown.stdout, shown.stderr) == (0, url + "\n", "")


def test_show_open_hands_the_url_to_the_browser(cli, tmp_path: Path) -> None:
    repo, url = _applied(cli, tmp_path)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": f"{browser} %s"}
    done = subprocess.run([sys.executable, "-m", "crds_deliver", "show", "--open", MANIFEST],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == url + "\n"
    assert opened.read_text() == url


def test_show_of_a_manifest_never_applied_says_so(cli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, ("darks",))
    shown = cli("show", MANIFEST, cwd=repo)
    assert shown.exit_code == 1
    assert f"{MANIFEST}: never applied (no delivery.result.yaml)" in shown.stderr
    missing = cli("show", "manifests/nope.yaml", cwd=repo)
    assert missing.exit_code == 2 and "no such file: manifests/nope.yaml" in missing.stderr
