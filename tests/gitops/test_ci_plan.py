"""CI output of `crds-deliver plan`: certification findings and manifest problems as GitHub
annotations, the plan's Markdown as the step summary, a GitLab Code Quality report."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.fixtures.fits import make_delivery, write_jwst_ref
from tests.gitops.test_ci import CODEQUALITY_SCHEMA


def _repo(tmp_path: Path) -> Path:
    """A delivery repository whose manifest delivers one good and one bad (USEAFTER) file."""
    root = tmp_path / "repo"
    folder = root / "manifests/jwst/miri"
    folder.mkdir(parents=True)
    make_delivery(root, "jwst", "miri", "DARK", ["refs/*.fits"],
                  name="manifests/jwst/miri/darks.yaml")
    write_jwst_ref(folder / "refs/jwst_miri_dark_0001.fits", {"USEAFTER": "yesterday"})
    write_jwst_ref(folder / "refs/jwst_miri_dark_0002.fits")
    return root


def _finding(cli, root: Path) -> dict:
    data = json.loads(cli("plan", "-f", "json", "manifests", cwd=root).stdout)
    findings = [f for plan in data["manifests"] for item in plan["files"] for f in item["findings"]]
    assert len(findings) == 1, findings
    return findings[0]


def test_plan_annotations_and_step_summary(cli, tmp_path: Path) -> None:
    root = _repo(tmp_path)
    finding = _finding(cli, root)
    assert (finding["hdu"], finding["keyword"]) == (0, "USEAFTER")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(root),
           "GITHUB_STEP_SUMMARY": str(summary)}
    result = cli("plan", "jwst", cwd=root / "manifests", env=env)
    assert result.exit_code == 1
    message = finding["message"].replace("%", "%25").replace("\n", "%0A")
    assert result.stdout.splitlines()[-1] == (
        "::error file=manifests/jwst/miri/refs/jwst_miri_dark_0001.fits,"
        "title=crds-deliver plan%3A HDU 0 USEAFTER::" + message)
    markdown = cli("plan", "-f", "markdown", "jwst", cwd=root / "manifests").stdout
    assert summary.read_text() == markdown.rstrip("\n") + "\n\n"
    # A second step appends to the same summary.
    cli("plan", "jwst", cwd=root / "manifests", env=env)
    assert summary.read_text() == (markdown.rstrip("\n") + "\n\n") * 2


def test_plan_markdown_output_stays_clean_in_github_actions(cli, tmp_path: Path) -> None:
    root = _repo(tmp_path)
    plain = cli("plan", "-f", "markdown", "manifests", cwd=root)
    in_ci = cli("plan", "-f", "markdown", "manifests", cwd=root,
                env={"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(root)})
    assert in_ci.stdout == plain.stdout
    assert in_ci.stderr.startswith("::error file=manifests/jwst/miri/refs/")


def test_plan_manifest_problem_is_annotated_on_its_line(cli, tmp_path: Path) -> None:
    root = _repo(tmp_path)
    manifest = root / "manifests/jwst/miri/darks.yaml"
    manifest.write_text(manifest.read_text().replace("  - 'refs/*.fits'", "  - 'refs/*.fitz'"))
    result = cli("plan", "manifests", cwd=root,
                 env={"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(root)})
    assert result.exit_code == 1
    annotations = [x for x in result.stdout.splitlines() if x.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::error file=manifests/jwst/miri/darks.yaml,line=4,")


def test_plan_code_quality_report(cli, tmp_path: Path) -> None:
    root = _repo(tmp_path)
    result = cli("plan", "manifests", cwd=root, env={"GITLAB_CI": "true"})
    assert result.exit_code == 1
    report = json.loads((root / "gl-code-quality-report.json").read_text())
    jsonschema.validate(report, CODEQUALITY_SCHEMA)
    assert [(i["check_name"], i["severity"], i["location"]) for i in report] == [
        ("crds-deliver-plan", "critical",
         {"path": "manifests/jwst/miri/refs/jwst_miri_dark_0001.fits", "lines": {"begin": 1}})]
    assert cli("plan", "manifests", "--codequality", "cq.json", cwd=root).exit_code == 1
    assert json.loads((root / "cq.json").read_text()) == report
