"""Renderers: turn problems (and later plans and records) into text, JSON or Markdown."""

from __future__ import annotations

import json

from crds_deliver.problems import Problem, Severity


def printable(text: str) -> str:
    """`text` with control characters shown as escapes (`\\x1b`, `\\n`): a file name or
    value from a manifest must not move the cursor, recolour the terminal, or split one
    problem into several lines that CI parsers would misread."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def problem_line(problem: Problem) -> str:
    """`path:line:col: severity: message`, the form editors and CI logs understand."""
    prefix = "" if problem.severity is Severity.ERROR else f"{problem.severity.value}: "
    return printable(f"{problem.location()}: {prefix}{problem.message}")


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


# --- Plans -------------------------------------------------------------------------------------

PLAN_FORMAT_VERSION = 1
_ICONS = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


def partial_notices(plans: list) -> list[str]:
    """One warning per project of the run whose deep checks could not run (extras.py)."""
    # Imported here: the certify package brings astropy, which validate and --help never need.
    from crds_deliver.certify.extras import partial_plan_notice

    projects = sorted({p.project for p in plans if p.project and p.files})
    return [notice for project in projects if (notice := partial_plan_notice(project))]


def _plan_summary(plans: list) -> dict:
    actions: dict[str, int] = {}
    for plan in plans:
        actions[plan.action.value] = actions.get(plan.action.value, 0) + 1
    notices = partial_notices(plans)
    summary = {"manifests": len(plans), "actions": actions,
               "errors": sum(p.count(Severity.ERROR) for p in plans),
               "warnings": sum(p.count(Severity.WARNING) for p in plans) + len(notices)}
    if notices:
        summary["notices"] = notices
    return summary


def plans_json(plans: list) -> str:
    """Plans for machines (validated by schemas/plan.schema.json)."""
    return json.dumps({"version": PLAN_FORMAT_VERSION,
                       "manifests": [p.to_dict() for p in plans],
                       "summary": _plan_summary(plans)}, indent=2)


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(size)


def finding_line(finding) -> str:
    """`file[hdu] KEYWORD: severity: message`, one line per finding."""
    return printable(f"{finding.location()}: {finding.severity.value}: {finding.message}")


_FILE_COLUMNS = ("file", "size", "type", "sha256", "errors", "warnings")
_RIGHT_ALIGNED = frozenset({"size", "errors", "warnings"})


def _file_table(plan) -> list[str]:
    """The plan's files as aligned columns, one line per file, never wrapped: a log or an
    editor finds a file on its own line, however long its path."""
    rows = [_FILE_COLUMNS]
    for item in plan.files:
        errors = sum(1 for f in item.findings if f.severity is Severity.ERROR)
        warns = sum(1 for f in item.findings if f.severity is Severity.WARNING)
        rows.append((printable(item.path), _size(item.size),
                     f"{item.instrument or '?'} {item.reftype or '?'}",
                     (item.sha256 or "")[:12], str(errors), str(warns)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(_FILE_COLUMNS))]
    return ["  ".join(cell.rjust(width) if name in _RIGHT_ALIGNED else cell.ljust(width)
                      for name, cell, width in zip(_FILE_COLUMNS, row, widths, strict=True)
                      ).rstrip() for row in rows]


def plans_text(plans: list) -> str:
    """Plans for people: a header line and a table of files per manifest, then the findings.
    Plain text, written as it is: a path or reason is never read as markup nor wrapped."""
    out = []
    for plan in plans:
        target = f"{plan.project} {plan.instrument} → {plan.server}" if plan.project else ""
        out.append(printable(f"{plan.manifest}: {plan.action.value} {target}".rstrip()))
        out.append(printable(f"  {plan.reason}"))
        if plan.files:
            out += _file_table(plan)
        lines = [problem_line(p) for p in plan.problems]
        lines += [finding_line(f) for f in plan.all_findings()]
        lines += rules_lines(plan)
        out += [f"  {line}" for line in lines] + [""]
    summary = _plan_summary(plans)
    actions = ", ".join(f"{n} {a}" for a, n in sorted(summary["actions"].items()))
    out += [f"warning: {printable(n)}" for n in summary.get("notices", [])]
    out.append(f"{summary['manifests']} manifest(s): {actions}; {summary['errors']} error(s), "
               f"{summary['warnings']} warning(s)")
    return "".join(f"{line}\n" for line in out)


def plan_error_lines(plan) -> list[str]:
    """Each error of a plan as one located line, problems first: why apply refuses."""
    lines = [problem_line(p) for p in plan.problems if p.severity is Severity.ERROR]
    return lines + [finding_line(f) for f in plan.all_findings()
                    if f.severity is Severity.ERROR]


def plans_brief(plans: list) -> str:
    """Plans for `plan --quiet`: a line per manifest (what apply would do, and why) and its
    errors; no file table, warnings or rules, so a log of many manifests stays scannable."""
    out = []
    for plan in plans:
        target = f" {plan.project} {plan.instrument} → {plan.server}" if plan.project else ""
        out.append(printable(f"{plan.manifest}: {plan.action.value}{target}: {plan.reason}"))
        out += [f"  {line}" for line in plan_error_lines(plan)]
    return "".join(f"{line}\n" for line in out)


def rules_lines(plan) -> list[str]:
    """The rules change of a plan: one block per rmap, or why it was not predicted."""
    from crds_deliver.rules.diff import rules_change

    if plan.rules_note and not plan.rules_context:
        return [printable(f"rules: not predicted, because {plan.rules_note}")] if plan.files \
            else []
    blocks = rules_change([(f.path, f.rules) for f in plan.files if f.rules])
    if not blocks:
        return []
    lines = [f"rules in {plan.rules_context}:"]
    for rmap, changes in blocks.items():
        lines.append(f"  {rmap}")
        lines += [printable(f"    {change}") for change in changes]
    return lines


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def plans_markdown(plans: list) -> str:
    """Plans for a pull-request comment or a CI step summary (GitHub-flavoured Markdown)."""
    summary = _plan_summary(plans)
    lines = ["## crds-deliver plan", "",
             f"{summary['manifests']} manifest(s), {summary['errors']} error(s), "
             f"{summary['warnings']} warning(s)", ""]
    lines += [f"> {_ICONS['warning']} **Partial plan:** {_md(n)}\n" for n in
              summary.get("notices", [])]
    lines += ["| manifest | action | files | errors | warnings | why |",
             "|---|---|---:|---:|---:|---|"]
    for plan in plans:
        lines.append(f"| `{_md(plan.manifest)}` | **{plan.action.value}** | {len(plan.files)} | "
                     f"{plan.count(Severity.ERROR)} | {plan.count(Severity.WARNING)} | "
                     f"{_md(plan.reason)} |")
    for plan in plans:
        if not plan.files and not plan.problems and not plan.all_findings():
            continue
        lines += ["", f"### `{_md(plan.manifest)}` — {plan.action.value}", ""]
        if plan.files:
            lines += ["| file | size | type | sha256 |", "|---|---:|---|---|"]
            lines += [f"| `{_md(f.path)}` | {_size(f.size)} | {f.instrument or '?'} "
                      f"{f.reftype or '?'} | `{(f.sha256 or '')[:16]}` |" for f in plan.files]
            lines.append("")
        for problem in plan.problems:
            icon = _ICONS[problem.severity.value]
            lines.append(f"- {icon} `{_md(problem.location())}` {_md(problem.message)}")
        for finding in plan.all_findings():
            icon = _ICONS[finding.severity.value]
            lines.append(f"- {icon} `{_md(finding.location())}` {finding.severity.value}: "
                         f"{_md(finding.message)}")
        lines += _rules_markdown(plan)
    return "\n".join(lines) + "\n"


def _rules_markdown(plan) -> list[str]:
    """The rules change as a diff block per rmap (a reviewer sees what each file replaces)."""
    from crds_deliver.rules.diff import rules_change

    blocks = rules_change([(f.path, f.rules) for f in plan.files if f.rules])
    if not blocks:
        found = rules_lines(plan)
        return ["", f"_{_md(found[0])}_"] if found else []
    lines = ["", f"**Rules in `{_md(plan.rules_context)}`**", "", "```diff"]
    for rmap, changes in blocks.items():
        lines += [f"@@ {rmap} @@", *changes]
    return lines + ["```"]
