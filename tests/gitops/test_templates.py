"""The CI templates and the pre-commit hook: valid YAML, and every `crds-deliver` command line in
them names a command and options that exist; the matrix listing step works on a real plan."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import yaml

from crds_deliver.cli import app

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
    assert set(jobs) == {"review", "deliver"}
    deliver = jobs["deliver"]
    # Only the default branch delivers, one run per repository, behind a protected environment.
    assert "github.event.repository.default_branch" in deliver["if"]
    assert deliver["concurrency"] == {"group": "crds-deliver-delivery",
                                      "cancel-in-progress": False}
    assert deliver["environment"] == "crds-delivery"
    checkout = deliver["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    apply_step = next(s for s in deliver["steps"] if s.get("name") == "apply")
    assert apply_step["env"]["MAST_API_TOKEN"] == "${{ secrets.MAST_API_TOKEN }}"
    assert "apply --pending --yes --commit" in apply_step["run"]
    assert "pull-requests" in jobs["review"]["permissions"]  # the plan comment
    for job in jobs.values():
        assert job["timeout-minutes"] > 0
        for step in job["steps"]:
            if "uses" in step:  # pinned to a commit, the release named beside it
                assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["cache"] == "pip"


def test_gitlab_pipeline_shape() -> None:
    data = yaml.safe_load(GITLAB.read_text())
    assert data["stages"] == ["review", "deliver"]
    assert data["plan"]["artifacts"]["reports"]["codequality"] == "gl-plan.json"
    assert data["validate"]["artifacts"]["reports"]["codequality"] == "gl-validate.json"
    apply_job = data["apply"]
    assert any("apply --pending --yes --commit" in line for line in apply_job["script"])
    assert "after_script" not in apply_job  # its failures would be ignored
    assert apply_job["resource_group"] == "crds-deliver"
    assert apply_job["environment"]["name"] == "crds-delivery"
    assert all("$CI_DEFAULT_BRANCH" in rule["if"] for rule in apply_job["rules"])
    assert all(data[job]["timeout"] for job in ("validate", "plan", "apply"))
    assert data["default"]["cache"]["paths"] == [".cache/pip"]


@pytest.mark.parametrize("path,schema", [
    (GITHUB, "vendor.github-workflows"),
    (ROOT / ".github/workflows/release.yml", "vendor.github-workflows"),
    (GITLAB, "vendor.gitlab-ci"),
], ids=["github", "release", "gitlab"])
def test_templates_pass_the_vendored_ci_schemas(path: Path, schema: str) -> None:
    """check-jsonschema ships the GitHub-workflow and GitLab-CI schemas (no network needed)."""
    pytest.importorskip("check_jsonschema")
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                           str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", [GITHUB, ROOT / ".github/workflows/release.yml"],
                         ids=["github", "release"])
def test_github_workflows_pass_actionlint(path: Path) -> None:
    """actionlint checks what the schema cannot (expressions, contexts, shell snippets through
    shellcheck when that is installed). Its PyPI wrapper downloads the binary from GitHub when
    it is built, so it is used only where it is on PATH."""
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed")
    done = subprocess.run([actionlint, "-no-color", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_templates_install_a_released_version() -> None:
    for path in (GITHUB, GITLAB):
        text = path.read_text()
        assert re.search(r'CRDS_DELIVER: "crds-deliver\[\w+\] @ git\+https://\S+@v\d+\.\d+\.\d+"',
                         text), path.name


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
