"""Problems as CI systems want them: GitHub workflow annotations and step summaries, GitLab Code
Quality reports.

A reviewer reads a pull request, not a CI log: annotations put each problem on the manifest's
line in the diff, the step summary puts the plan on the run's page, and GitLab shows a Code
Quality report in the merge request. Which of these is produced follows the environment the
command runs in (GITHUB_ACTIONS, GITLAB_CI), so the same command works locally and in CI.

Nothing here prints: annotation lines are handed to the caller's `echo`; files are written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from crds_deliver.errors import CrdsDeliverError
from crds_deliver.problems import Problem, Severity
from crds_deliver.report import plans_markdown

if TYPE_CHECKING:  # importing the planner would load astropy into `validate`
    from crds_deliver.plan import ManifestPlan

CODEQUALITY_ENV = "CRDS_DELIVER_CODEQUALITY"
DEFAULT_CODEQUALITY = "gl-code-quality-report.json"
CODEQUALITY_HELP = (f"Write a GitLab Code Quality report to FILE (also ${CODEQUALITY_ENV}; "
                    f"default in GitLab CI: {DEFAULT_CODEQUALITY}).")

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
# A validation error blocks the delivery (critical); warnings and infos never fail a command.
_GITLAB_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "minor", Severity.INFO: "info"}


class CiOutputError(CrdsDeliverError):
    """A CI report file cannot be written (read-only workspace, missing folder)."""


def escape_data(text: str) -> str:
    """GitHub's escaping of a workflow command's message (after the `::`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub's escaping of a workflow command's property value (file=, title=)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def repo_root(env: Mapping[str, str]) -> Path:
    """The folder annotation and report paths are relative to: the checkout, else the cwd."""
    return Path(env.get("GITHUB_WORKSPACE") or env.get("CI_PROJECT_DIR") or os.getcwd())


def relative_path(file: str, root: Path) -> str:
    """`file` relative to `root` with forward slashes; unchanged when it lies outside."""
    path = Path(file)
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def github_annotation(problem: Problem, root: Path, command: str) -> str:
    """One `::error file=...,line=...,col=...,title=...::message` workflow command."""
    props = [f"file={escape_property(relative_path(problem.file, root))}"]
    if problem.line is not None:
        props.append(f"line={problem.line}")
        if problem.column is not None:
            props.append(f"col={problem.column}")
    title = f"crds-deliver {command}"
    if problem.field:
        title += f": {problem.field}"
    props.append(f"title={escape_property(title)}")
    level = _GITHUB_LEVEL[problem.severity]
    return f"::{level} {','.join(props)}::{escape_data(problem.message)}"


def _fingerprint(command: str, path: str, problem: Problem, seen: dict[str, int]) -> str:
    """Stable across line moves (so an unchanged problem is not reported as new), unique within
    a report (GitLab requires it), hence the occurrence counter for identical problems."""
    base = "\0".join((command, path, problem.field or "", problem.message))
    count = seen.get(base, 0)
    seen[base] = count + 1
    return hashlib.md5(f"{base}\0{count}".encode(), usedforsecurity=False).hexdigest()


def codequality_issues(problems: Iterable[Problem], root: Path, command: str) -> list[dict]:
    """Problems as GitLab Code Quality issues (the documented subset of the CodeClimate spec)."""
    seen: dict[str, int] = {}
    issues = []
    for problem in problems:
        path = relative_path(problem.file, root)
        issues.append({
            "description": problem.message,
            "check_name": f"crds-deliver-{command}",
            "fingerprint": _fingerprint(command, path, problem, seen),
            "severity": _GITLAB_SEVERITY[problem.severity],
            "location": {"path": path, "lines": {"begin": problem.line or 1}},
        })
    return issues


def _write(path: Path, text: str, append: bool) -> None:
    try:
        with path.open("a" if append else "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise CiOutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def codequality_target(option: Path | None, env: Mapping[str, str]) -> Path | None:
    """Where the GitLab report goes: the option, else the env variable, else the default name
    when running in GitLab CI; None when no report is wanted."""
    if option is not None:
        return option
    if env.get(CODEQUALITY_ENV):
        return Path(env[CODEQUALITY_ENV])
    if _is_true(env.get("GITLAB_CI")):
        return Path(DEFAULT_CODEQUALITY)
    return None


def publish(command: str, problems: Iterable[Problem], echo: Callable[[str], object], *,
            summary: str | None = None, codequality: Path | None = None,
            env: Mapping[str, str] | None = None) -> None:
    """Emit `problems` the ways the current CI understands; a no-op outside CI.

    `summary` is Markdown for GitHub's step summary (appended, as GitHub expects several steps
    to share the file). The Code Quality report is written whole: one file per command run.
    """
    env = os.environ if env is None else env
    problems = list(problems)
    root = repo_root(env)
    if _is_true(env.get("GITHUB_ACTIONS")):
        for problem in problems:
            echo(github_annotation(problem, root, command))
        step_summary = env.get("GITHUB_STEP_SUMMARY")
        if summary and step_summary:
            _write(Path(step_summary), summary.rstrip("\n") + "\n\n", append=True)
    target = codequality_target(codequality, env)
    if target is not None:
        issues = codequality_issues(problems, root, command)
        _write(target, json.dumps(issues, indent=2) + "\n", append=False)


def append_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> None:
    """Add Markdown to GitHub's step summary (the run's page); a no-op elsewhere."""
    env = os.environ if env is None else env
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if _is_true(env.get("GITHUB_ACTIONS")) and step_summary:
        _write(Path(step_summary), markdown.rstrip("\n") + "\n\n", append=True)


def outcomes_markdown(command: str, rows: Iterable[tuple[str, str, str]]) -> str:
    """A table of what a delivery command did: (manifest, state, what happened) per row."""
    lines = [f"### crds-deliver {command}", "", "| manifest | state | outcome |",
             "|---|---|---|"]
    lines += [f"| `{m}` | {state} | {text.replace('|', '/')} |" for m, state, text in rows]
    return "\n".join(lines) + "\n"


def plan_problems(plans: Iterable[ManifestPlan]) -> list[Problem]:
    """A plan's problems and certification findings as located Problems (a finding names its
    file as the user reaches it, so it is placed on that file)."""
    problems: list[Problem] = []
    for plan in plans:
        problems += plan.problems
        for finding in plan.all_findings():
            where = [f"HDU {finding.hdu}"] if finding.hdu is not None else []
            where += [finding.keyword] if finding.keyword else []
            problems.append(Problem(finding.file, finding.message,
                                    field=" ".join(where) or None, severity=finding.severity))
    return problems


def publish_plans(plans: list[ManifestPlan], echo: Callable[[str], object],
                  codequality: Path | None = None) -> None:
    """`publish` for `crds-deliver plan`: findings as annotations, the plan's Markdown as the
    step summary."""
    publish("plan", plan_problems(plans), echo, summary=plans_markdown(plans),
            codequality=codequality)


def problems_markdown(title: str, results: Mapping[str, list[Problem]]) -> str:
    """A short Markdown table of validation results for a step summary."""
    lines = [f"### {title}", ""]
    bad = {path: probs for path, probs in results.items() if probs}
    if not bad:
        lines.append(f"{len(results)} manifest(s) checked, all valid.")
        return "\n".join(lines) + "\n"
    lines += ["| location | severity | problem |", "| --- | --- | --- |"]
    for probs in bad.values():
        for p in probs:
            message = p.message.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{p.location()}` | {p.severity.value} | {message} |")
    return "\n".join(lines) + "\n"
