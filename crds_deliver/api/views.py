"""What the Python API hands back: a plan and an outcome, readable as text (print, logs) and
as HTML tables (Jupyter calls `_repr_html_`), over the engine's own values.

The text of a plan is exactly what `crds-deliver plan` prints and its JSON exactly what
`plan --format json` prints: one renderer per format, shared with the command line.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crds_deliver.problems import Problem, Severity
from crds_deliver.record import State
from crds_deliver.report import (
    finding_line,
    plan_error_lines,
    plans_json,
    plans_text,
    problem_line,
)

if TYPE_CHECKING:  # the engine's modules bring astropy and requests; views only wrap values
    from crds_deliver.apply import Outcome as EngineOutcome
    from crds_deliver.certify import Finding
    from crds_deliver.plan import ManifestPlan, PlannedFile
    from crds_deliver.record import Record


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _lines(lines: Sequence[str]) -> str:
    if not lines:
        return ""
    items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
    return f"<ul>{items}</ul>"


def _count(findings: Iterable[Finding], severity: Severity) -> int:
    return sum(1 for f in findings if f.severity is severity)


@dataclass(frozen=True)
class Plan:
    """What apply would do with a delivery, and why (see crds_deliver.plan.ManifestPlan)."""

    manifest_plan: ManifestPlan

    @property
    def action(self) -> str:
        """DELIVER, RESUME, SKIP or REFUSE."""
        return self.manifest_plan.action.value

    @property
    def reason(self) -> str:
        return self.manifest_plan.reason

    @property
    def files(self) -> list[PlannedFile]:
        return self.manifest_plan.files

    @property
    def problems(self) -> list[Problem]:
        """Problems of the manifest itself (schema, globs, pins, record)."""
        return self.manifest_plan.problems

    @property
    def findings(self) -> list[Finding]:
        """Every preflight finding, grouped by file."""
        return self.manifest_plan.all_findings()

    @property
    def errors(self) -> int:
        return self.manifest_plan.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.manifest_plan.count(Severity.WARNING)

    @property
    def has_errors(self) -> bool:
        return self.manifest_plan.has_errors

    def error_lines(self) -> list[str]:
        """Each error as one located line, problems first: why apply refuses."""
        return plan_error_lines(self.manifest_plan)

    def to_dict(self) -> dict[str, object]:
        """The plan as `plan --format json` lists it under `manifests`."""
        return self.manifest_plan.to_dict()

    def json(self) -> str:
        """Exactly what `crds-deliver plan --format json` prints for this manifest."""
        return plans_json([self.manifest_plan])

    def __str__(self) -> str:
        return plans_text([self.manifest_plan])

    def __repr__(self) -> str:
        plan = self.manifest_plan
        return (f"<Plan {plan.manifest}: {plan.action.value}, {len(plan.files)} file(s), "
                f"{self.errors} error(s), {self.warnings} warning(s)>")

    def _repr_html_(self) -> str:
        plan = self.manifest_plan
        where = f"{plan.project} {plan.instrument} → {plan.server}" if plan.project else ""
        rows = [(f.path, f.size if f.size is not None else "?",
                 f"{f.instrument or '?'} {f.reftype or '?'}", (f.sha256 or "")[:12],
                 _count(f.findings, Severity.ERROR), _count(f.findings, Severity.WARNING))
                for f in plan.files]
        notes = [problem_line(p) for p in plan.problems]
        notes += [finding_line(f) for f in plan.all_findings()]
        return (f"<p><b>{html.escape(plan.action.value)}</b> {html.escape(where)}<br>"
                f"<code>{html.escape(plan.manifest)}</code>: {html.escape(plan.reason)}</p>"
                + (_table(("file", "bytes", "type", "sha256", "errors", "warnings"), rows)
                   if rows else "")
                + _lines(notes))


@dataclass(frozen=True)
class Outcome:
    """What apply, confirm or cancel did, with the delivery's result record."""

    engine_outcome: EngineOutcome

    @property
    def state(self) -> str | None:
        """The delivery's state (READY, CONFIRMED, BAD_FILES ...), None when nothing ran."""
        state = self.engine_outcome.state
        return state.value if state else None

    @property
    def summary(self) -> str:
        return self.engine_outcome.summary

    @property
    def changed(self) -> bool:
        """True when this call moved the delivery on (False: already done, or declined)."""
        return self.engine_outcome.changed

    @property
    def record(self) -> Record | None:
        return self.engine_outcome.record

    @property
    def results_id(self) -> str | None:
        return self.engine_outcome.results_id

    @property
    def results_url(self) -> str | None:
        """The server's results page: review it, then confirm or cancel (crds: ready_url)."""
        record = self.record
        return (record.data.get("submission") or {}).get("results_url") if record else None

    @property
    def file_map(self) -> dict[str, str]:
        """Uploaded name → official CRDS name, for every renamed file."""
        record = self.record
        if record is None:
            return {}
        return {str(f["name"]): str(f["official_name"]) for f in record.data.get("files", [])
                if f.get("official_name")}

    @property
    def ready(self) -> bool:
        return self.engine_outcome.state is State.READY

    def __str__(self) -> str:
        text = f"{self.engine_outcome.manifest_path}: {self.summary}"
        if self.results_url:
            text += f"\nresults: {self.results_url}"
        return text

    def __repr__(self) -> str:
        return f"<Outcome {self.engine_outcome.manifest_path}: {self.summary}>"

    def _repr_html_(self) -> str:
        record = self.record
        rows = [(f.get("name"), f.get("official_name") or "-", f.get("status") or "-",
                 f.get("size"), str(f.get("sha256") or "")[:12])
                for f in (record.data.get("files", []) if record else [])]
        link = ""
        if self.results_url:
            url = html.escape(self.results_url)
            link = f"<br>results: <a href='{url}' target='_blank'>{url}</a>"
        return (f"<p><b>{html.escape(self.state or 'not delivered')}</b> "
                f"<code>{html.escape(str(self.engine_outcome.manifest_path))}</code>: "
                f"{html.escape(self.summary)}{link}</p>"
                + (_table(("file", "official name", "status", "bytes", "sha256"), rows)
                   if rows else ""))
