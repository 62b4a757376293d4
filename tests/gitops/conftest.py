"""Helpers for the GitOps tests: run the real CLI in-process, write manifests into real folders."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crds_deliver.cli import app
from crds_deliver.errors import CrdsDeliverError

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests/jwst/miri/2026-11-imager-darks.yaml"

# Variables a CI runner sets that would change what the commands write; tests set their own.
CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "GITLAB_CI",
                "CI_PROJECT_DIR", "CRDS_DELIVER_CODEQUALITY", "CRDS_SERVER_URL",
                "MAST_API_TOKEN", "CRDS_USERNAME", "CRDS_INI_FILE", "CRDS_OBSERVATORY")


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No CI or CRDS variable leaks in from the machine running the tests; HOME is empty."""
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return monkeypatch


@pytest.fixture
def cli(clean_env: pytest.MonkeyPatch):
    """Run `crds-deliver ARGS` in-process in a folder; typed errors become their exit codes as
    in the console script."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> Run:
        old = os.getcwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            result = CliRunner().invoke(app, list(args), env=env, input=input)
        finally:
            os.chdir(old)
        if isinstance(result.exception, CrdsDeliverError):
            return Run(result.exception.exit_code, result.stdout,
                       result.stderr + f"error: {result.exception}\n")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def write_manifest(folder: Path, name: str = "delivery.yaml",
                   replace: dict[str, str] | None = None) -> Path:
    """The example manifest, with text replacements, written into `folder`."""
    text = EXAMPLE.read_text()
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path
