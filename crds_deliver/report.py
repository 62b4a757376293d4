"""Renderers: turn problems (and later plans and records) into text, JSON or Markdown."""

from __future__ import annotations

import json

from crds_deliver.problems import Problem, Severity


def problem_line(problem: Problem) -> str:
    """`path:line:col: severity: message`, the form editors and CI logs understand."""
    prefix = "" if problem.severity is Severity.ERROR else f"{problem.severity.value}: "
    return f"{problem.location()}: {prefix}{problem.message}"


def problems_json(results: dict[str, list[Problem]]) -> str:
    """Validation results as JSON: one entry per manifest, its problems, and totals."""
    manifests = [{"path": path, "valid": not any(p.severity is Severity.ERROR for p in probs),
                  "problems": [p.to_dict() for p in probs]}
                 for path, probs in results.items()]
    return json.dumps({
        "manifests": manifests,
        "summary": {"manifests": len(manifests),
                    "invalid": sum(1 for m in manifests if not m["valid"]),
                    "problems": sum(len(m["problems"]) for m in manifests)},
    }, indent=2)


def summary_line(checked: int, invalid: int, problems: int) -> str:
    noun = "manifest" if checked == 1 else "manifests"
    if not invalid:
        return f"{checked} {noun} checked, all valid"
    return f"{checked} {noun} checked, {invalid} invalid, {problems} problem" + \
        ("" if problems == 1 else "s")
