"""The CI templates and the pre-commit hook: valid YAML, and every `crds-deliver` command line in
them names a command and options that exist; the matrix listing step works on a real plan."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml

from crds_deliver.cli import app
from tests.fixtures.fits import make_delivery, write_jwst_ref

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "templates/github/crds-deliver.yml"
GITLAB = ROOT / "templates/gitlab/.gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
COMMAND = re.compile(r"(?:^|[\s;&|(])crds-deliver\s+([^\n;&|>]*)")


def _scripts(node: object) -> list[str]:
    """Every shell text in a CI file: GitHub's `run:` and GitLab's `script:` entries."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "before_script", "after_script", "entry"):
                found += [value] if isinstance(value, str) else list(value)
            else:
                found += _scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += _scripts(item)
    return found


def _command_lines(path: Path) -> list[list[str]]:
    lines = []
    for script in _scripts(yaml.safe_load(path.read_text())):
        for match in COMMAND.finditer(script):
            lines.append(shlex.split(match.group(1)))
    return lines


def _doc_command_lines(path: Path) -> list[list[str]]:
    """`crds-deliver` command lines in a Markdown file's ```sh blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", path.read_text(), flags=re.DOTALL)
    return [shlex.split(m.group(1)) for block in blocks for m in COMMAND.finditer(block)]


def _click_command(words: list[str]):
    """The click command a command line names, and the words after its name."""
    command = typer.main.get_command(app)
    rest = list(words)
    while rest and hasattr(command, "commands") and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    return command, rest


DOCS = [ROOT / "docs/tutorial.md", ROOT / "docs/workflow.md"]


@pytest.mark.parametrize("path", [GITHUB, GITLAB, HOOKS, *DOCS], ids=lambda p: p.name)
def test_every_command_and_option_in_the_templates_exists(path: Path, cli) -> None:
    lines = _doc_command_lines(path) if path.suffix == ".md" else _command_lines(path)
    assert lines, f"no crds-deliver command found in {path}"
    for words in lines:
        command, rest = _click_command(words)
        assert not hasattr(command, "commands"), f"{path.name}: unknown command in {words}"
        known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        for word in rest:
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"{path.name}: {word} not in {words}"
        name = words[: len(words) - len(rest)]
        assert cli(*name, "--help").exit_code == 0, name


def test_github_workflow_shape() -> None:
    data = yaml.safe_load(GITHUB.read_text())
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) >= {"pull_request", "push"}
    jobs = data["jobs"]
    assert set(jobs) == {"review", "pending", "apply", "finish"}
    assert jobs["finish"]["strategy"]["matrix"]["include"] == \
        "${{ fromJSON(needs.pending.outputs.finish) }}"
    assert jobs["apply"]["strategy"]["matrix"]["manifest"] == \
        "${{ fromJSON(needs.pending.outputs.manifests) }}"
    # One CRDS account delivers one thing at a time: matrix jobs and runs take turns.
    assert jobs["apply"]["strategy"]["max-parallel"] == 1
    assert jobs["finish"]["strategy"]["max-parallel"] == 1
    assert data["concurrency"] == {"group": "crds-deliver-${{ github.ref }}",
                                   "cancel-in-progress": False}
    apply_step = next(s for s in jobs["apply"]["steps"] if s.get("name") == "apply")
    assert apply_step["env"]["MAST_API_TOKEN"] == "${{ secrets.MAST_API_TOKEN }}"
    assert "--commit" in apply_step["run"]


def test_gitlab_pipeline_shape() -> None:
    data = yaml.safe_load(GITLAB.read_text())
    assert data["stages"] == ["review", "deliver"]
    assert data["plan"]["artifacts"]["reports"]["codequality"] == "gl-plan.json"
    assert data["validate"]["artifacts"]["reports"]["codequality"] == "gl-validate.json"
    assert any("apply --yes --commit" in line for line in data["apply"]["script"])


def test_pre_commit_hook_selects_manifests_and_runs_validate(cli) -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text())
    assert hook["id"] == "crds-deliver-validate" and hook["language"] == "python"
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    chosen = [p for p in ("manifests/jwst/miri/2026-11-imager-darks.yaml",
                          "manifests/jwst/miri/2026-11-imager-darks.result.yaml",
                          ".github/workflows/crds-deliver.yml")
              if files.search(p) and not exclude.search(p)]
    assert chosen == ["manifests/jwst/miri/2026-11-imager-darks.yaml"]
    words = shlex.split(hook["entry"])
    assert words[0] == "crds-deliver"
    assert cli(*words[1:], *chosen, cwd=ROOT).exit_code == 0


def _listing(repo: Path, tmp_path: Path) -> dict[str, object]:
    """Run the GitHub workflow's own listing step in `repo`; its outputs, decoded."""
    step = next(s for s in yaml.safe_load(GITHUB.read_text())["jobs"]["pending"]["steps"]
                if s.get("id") == "list")
    output = tmp_path / "github_output"
    output.write_text("")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "GITHUB_OUTPUT": str(output),
           "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, check=True,
                   timeout=120)
    pairs = (line.split("=", 1) for line in output.read_text().splitlines())
    return {name: json.loads(value) for name, value in pairs}


def test_matrix_listing_step_lists_pending_and_decided_manifests(cli, tmp_path: Path) -> None:
    """A deliverable manifest goes to the apply matrix, a refused one nowhere, and a READY one
    to the finish matrix once a decision file sits beside it."""
    repo = tmp_path / "repo"
    for name in ("good", "ready"):
        (repo / f"manifests/{name}").mkdir(parents=True)
        make_delivery(repo, "jwst", "miri", "DARK", ["refs/*.fits"],
                      name=f"manifests/{name}/delivery.yaml")
        write_jwst_ref(repo / f"manifests/{name}/refs/jwst_miri_dark_000{len(name)}.fits")
    (repo / "manifests/bad").mkdir()
    make_delivery(repo, "jwst", "miri", "DARK", ["refs/*.fits"], git=False,
                  name="manifests/bad/delivery.yaml")  # no files: refused
    ready = "manifests/ready/delivery.yaml"
    applied = cli("apply", "--sandbox", "--sandbox-data", str(tmp_path / "sb"), "--yes", ready,
                  cwd=repo)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert _listing(repo, tmp_path) == {"manifests": ["manifests/good/delivery.yaml", ready],
                                        "finish": []}
    (repo / "manifests/ready/delivery.confirm").write_text("checked the results page\n")
    assert _listing(repo, tmp_path) == {
        "manifests": ["manifests/good/delivery.yaml"],
        "finish": [{"manifest": ready, "decision": "confirm"}]}
    # GitLab's apply job finds the same decision with its own snippet.
    script = yaml.safe_load(GITLAB.read_text())["apply"]["script"]
    start = next(i for i, line in enumerate(script) if "plan --format json" in line)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    subprocess.run(["bash", "-e", "-c", "\n".join(script[start:start + 2])], cwd=repo, env=env,
                   check=True, timeout=120)
    assert (repo / "decisions.txt").read_text() == f"confirm {ready}\n"
