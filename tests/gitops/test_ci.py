"""CI output of `validate` (and the library behind it): GitHub annotations and step summary,
GitLab Code Quality report checked against the report's documented shape."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from crds_deliver import ci
from crds_deliver.problems import Problem, Severity
from tests.gitops.conftest import write_manifest

# GitLab's documented Code Quality report: a JSON array of issues, each with these fields
# (docs.gitlab.com, "Code Quality" > "Code Quality report format").
CODEQUALITY_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1,
                             "not": {"pattern": "^/"}},
                    "lines": {"type": "object", "required": ["begin"],
                              "properties": {"begin": {"type": "integer", "minimum": 1}}},
                },
            },
        },
    },
}

BAD_INSTRUMENT = ("form.instrument: 'mirri' is not an instrument of project jwst "
                  "(fgs, miri, nircam, niriss, nirspec, system); did you mean 'miri'?")


def _bad_repo(tmp_path: Path) -> Path:
    write_manifest(tmp_path / "repo/manifests/jwst/miri", "bad.yaml",
                   {"instrument: miri": "instrument: mirri"})
    write_manifest(tmp_path / "repo/manifests/jwst/miri", "good.yaml")
    return tmp_path / "repo"


def test_escaping_follows_github_rules() -> None:
    assert ci.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert ci.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    # Escaping happens once: an already escaped sequence is escaped again, not kept.
    assert ci.escape_data("%0A") == "%250A"


def test_annotation_line_for_each_severity(tmp_path: Path) -> None:
    root = tmp_path
    error = Problem(str(tmp_path / "m/a.yaml"), "form.x: bad, very: bad\nreally", 3, 7,
                    "form.x")
    warning = Problem(str(tmp_path / "m/a.yaml"), "50% sure", 4, None, None, Severity.WARNING)
    info = Problem("/elsewhere/b.yaml", "note", None, None, None, Severity.INFO)
    assert ci.github_annotation(error, root, "plan") == (
        "::error file=m/a.yaml,line=3,col=7,title=crds-deliver plan%3A form.x::"
        "form.x: bad, very: bad%0Areally")
    assert ci.github_annotation(warning, root, "plan") == (
        "::warning file=m/a.yaml,line=4,title=crds-deliver plan::50%25 sure")
    assert ci.github_annotation(info, root, "plan") == (
        "::notice file=/elsewhere/b.yaml,title=crds-deliver plan::note")


def test_validate_in_github_actions_prints_annotations_and_summary(cli, tmp_path: Path) -> None:
    repo = _bad_repo(tmp_path)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(repo),
           "GITHUB_STEP_SUMMARY": str(summary)}
    # Run from a sub-folder: paths must still be relative to the workspace, not the cwd.
    result = cli("validate", "manifests", cwd=repo, env=env)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"manifests/jwst/miri/bad.yaml:11:15: {BAD_INSTRUMENT}",
        "2 manifests checked, 1 invalid, 1 problem",
        "::error file=manifests/jwst/miri/bad.yaml,line=11,col=15,"
        "title=crds-deliver validate%3A form.instrument::" + BAD_INSTRUMENT,
    ]
    text = summary.read_text()
    assert text.startswith("earlier step\n### crds-deliver validate\n")
    assert f"| `manifests/jwst/miri/bad.yaml:11:15` | error | {BAD_INSTRUMENT} |" in text


def test_validate_json_keeps_stdout_parseable_in_github_actions(cli, tmp_path: Path) -> None:
    repo = _bad_repo(tmp_path)
    result = cli("validate", "--format", "json", "manifests", cwd=repo,
                 env={"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(repo)})
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["invalid"] == 1
    assert result.stderr.startswith("::error file=manifests/jwst/miri/bad.yaml,line=11,col=15,")


def test_validate_outside_ci_writes_nothing_extra(cli, tmp_path: Path) -> None:
    repo = _bad_repo(tmp_path)
    result = cli("validate", "manifests", cwd=repo)
    assert result.exit_code == 1
    assert "::" not in result.stdout + result.stderr
    assert not (repo / ci.DEFAULT_CODEQUALITY).exists()


def test_validate_in_gitlab_writes_code_quality_report(cli, tmp_path: Path) -> None:
    repo = _bad_repo(tmp_path)
    write_manifest(repo / "manifests/jwst/miri", "worse.yaml",
                   {"instrument: miri": "instrument: mirri",
                    "change_level: SEVERE": "change_level: HUGE"})
    result = cli("validate", "manifests", cwd=repo,
                 env={"GITLAB_CI": "true", "CI_PROJECT_DIR": str(repo)})
    assert result.exit_code == 1
    report = json.loads((repo / "gl-code-quality-report.json").read_text())
    jsonschema.validate(report, CODEQUALITY_SCHEMA)
    assert len(report) == 3
    first = report[0]
    assert first["description"] == BAD_INSTRUMENT
    assert first["severity"] == "critical"
    assert first["check_name"] == "crds-deliver-validate"
    assert first["location"] == {"path": "manifests/jwst/miri/bad.yaml", "lines": {"begin": 11}}
    assert len({issue["fingerprint"] for issue in report}) == 3


def test_code_quality_path_from_option_and_env(cli, tmp_path: Path) -> None:
    repo = _bad_repo(tmp_path)
    (repo / "out").mkdir()
    assert cli("validate", "manifests", "--codequality", "out/cq.json", cwd=repo).exit_code == 1
    assert len(json.loads((repo / "out/cq.json").read_text())) == 1
    assert cli("validate", "manifests/jwst/miri/good.yaml", cwd=repo,
               env={"CRDS_DELIVER_CODEQUALITY": "env.json"}).exit_code == 0
    assert json.loads((repo / "env.json").read_text()) == []


def test_fingerprints_survive_a_line_move_and_differ_for_twins(tmp_path: Path) -> None:
    a = Problem("m.yaml", "same", 3, 1, "form.x")
    moved = Problem("m.yaml", "same", 9, 1, "form.x")
    first = ci.codequality_issues([a], tmp_path, "validate")[0]["fingerprint"]
    assert ci.codequality_issues([moved], tmp_path, "validate")[0]["fingerprint"] == first
    twins = ci.codequality_issues([a, moved], tmp_path, "validate")
    assert twins[0]["fingerprint"] != twins[1]["fingerprint"]


def test_unwritable_report_is_a_clean_error(cli, tmp_path: Path) -> None:
    repo = _bad_repo(tmp_path)
    result = cli("validate", "manifests", "--codequality", "missing/dir/cq.json", cwd=repo)
    assert result.exit_code == 1
    assert "cannot write missing/dir/cq.json" in result.stderr
