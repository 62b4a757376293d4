"""The Plan: what `apply` would do with each manifest, and why, decided offline.

A plan resolves the manifest's globs, digests and certifies every file (one read per file;
files in parallel, except small ones on local disks: plan_threads), checks the delivery against
its form and its pinned digests, and reads the result record to tell a finished delivery (SKIP)
from an interrupted one (RESUME). Reviewers read the plan in the pull request; apply executes
exactly this.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from crds_deliver.certify import CertifyResult, Finding, deep, deep_pool
from crds_deliver.certify.delivery import CertifiedFile, certify_delivery
from crds_deliver.certify.preflight import concluded, read_and_check
from crds_deliver.decision import DecisionError, decision_file, how_to_decide, read_decision
from crds_deliver.files import ResolvedFile, resolve_globs
from crds_deliver.filesystems import on_local_disks
from crds_deliver.manifest import LoadResult, Manifest, load_manifest
from crds_deliver.problems import Problem, Severity
from crds_deliver.record import (
    TERMINAL_STATES,
    RecordError,
    State,
    load_record,
    problems_with_record,
    read_state,
)
from crds_deliver.rules import ContextError, DeliveredFile, Placement
from crds_deliver.rules.planning import plan_rules

Progress = Callable[[str, int, int], None]  # (file shown, bytes read so far, file size)
MAX_WORKERS = 4
# Small files on local disks are read and checked in one thread (plan_threads).
SMALL_FILE = 128 * 1024
PIN_FIELD = "pinned"


class Action(str, Enum):
    """What apply would do with a manifest."""

    DELIVER = "DELIVER"   # submit the files
    RESUME = "RESUME"     # a delivery is under way (non-terminal record): follow it up
    SKIP = "SKIP"         # already delivered or finished (terminal record): nothing to do
    REFUSE = "REFUSE"     # errors: apply will not submit


@dataclass
class PlannedFile:
    """One delivered file: where, its digests, what it is, and what preflight found."""

    path: str
    size: int | None
    sha1: str | None
    sha256: str | None
    instrument: str | None
    reftype: str | None
    findings: list[Finding] = field(default_factory=list)
    result: CertifyResult | None = field(default=None, repr=False, compare=False)
    rules: Placement | None = None  # where CRDS will put it (when a context was readable)

    def to_dict(self) -> dict:
        return {"path": self.path, "size": self.size, "sha1": self.sha1, "sha256": self.sha256,
                "instrument": self.instrument, "reftype": self.reftype,
                "findings": [f.to_dict() for f in self.findings],
                "rules": self.rules.to_dict() if self.rules else None}


@dataclass
class ManifestPlan:
    """The plan of one manifest."""

    manifest: str
    action: Action
    reason: str
    project: str | None = None
    server: str | None = None
    context: str | None = None
    instrument: str | None = None
    state: str | None = None
    problems: list[Problem] = field(default_factory=list)
    files: list[PlannedFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    manifest_path: Path | None = None
    rules_context: str | None = None  # the context the rules were predicted in
    rules_note: str | None = None  # why the rules were not predicted

    def all_findings(self) -> list[Finding]:
        """Every finding, grouped by file (a stable sort keeps each file's own order)."""
        found = [f for item in self.files for f in item.findings] + self.findings
        return sorted(found, key=lambda f: f.file)

    def count(self, severity: Severity) -> int:
        return (sum(1 for p in self.problems if p.severity is severity)
                + sum(1 for f in self.all_findings() if f.severity is severity))

    @property
    def has_errors(self) -> bool:
        return self.count(Severity.ERROR) > 0

    def to_dict(self) -> dict:
        return {"manifest": self.manifest, "action": self.action.value, "reason": self.reason,
                "project": self.project, "server": self.server, "context": self.context,
                "instrument": self.instrument, "state": self.state,
                "errors": self.count(Severity.ERROR), "warnings": self.count(Severity.WARNING),
                "problems": [p.to_dict() for p in self.problems],
                "files": [f.to_dict() for f in self.files],
                "findings": [f.to_dict() for f in self.findings],
                "rules_context": self.rules_context, "rules_note": self.rules_note}


def _certify_one(item: ResolvedFile, project: str, on_progress: Progress | None,
                 deep_check: deep.DeepCheck, local: bool) -> PlannedFile:
    """Certify and digest one file (read once where it is small, mapped where it is large
    and `local`, on a local disk: read_and_check)."""
    def progress(done: int, total: int) -> None:
        if on_progress:
            on_progress(item.relative, done, total)

    try:
        preflight, digest = read_and_check(item.path, project, name=str(item.path),
                                           deep=deep_check, on_progress=progress,
                                           mapped=local)
    except OSError as exc:
        return PlannedFile(item.relative, None, None, None, None, None,
                           [Finding(Severity.ERROR, str(item.path),
                                    f"cannot read: {exc.strerror or exc}")])
    result = concluded(preflight, digest)
    return PlannedFile(item.relative, digest.size, digest.sha1, digest.sha256,
                       result.instrument, result.reftype, result.findings, result)


def pin_problems(manifest: Manifest, files: list[PlannedFile]) -> list[Problem]:
    """Errors when the files or digests differ from those pinned (what reviewers approved)."""
    if not manifest.pinned:
        return []
    problems = []
    current = {f.path: f for f in files}
    file = str(manifest.path)
    for index, pin in enumerate(manifest.pinned):
        line, col = manifest.locate((PIN_FIELD, index))
        where = f"{PIN_FIELD}[{index}]"
        now = current.get(pin.path)
        if now is None:
            problems.append(Problem(file, f"{where}: pinned file '{pin.path}' is no longer "
                                          "delivered (the globs do not match it)",
                                    line, col, where))
        elif now.sha256 is not None and (now.sha256 != pin.sha256 or now.size != pin.size):
            problems.append(Problem(file, f"{where}: '{pin.path}' changed since it was pinned "
                                          f"(sha256 {now.sha256[:12]}…, pinned "
                                          f"{pin.sha256[:12]}…); review it and re-pin with "
                                          "`crds-deliver plan --pin`", line, col, where))
    pinned = {p.path for p in manifest.pinned}
    line, col = manifest.locate((PIN_FIELD,))
    for extra in sorted(set(current) - pinned):
        problems.append(Problem(file, f"{PIN_FIELD}: '{extra}' is delivered but not pinned; "
                                      "re-pin with `crds-deliver plan --pin`",
                                line, col, PIN_FIELD))
    return problems


def decide(plan: ManifestPlan) -> None:
    """Set the action and reason from the state and the errors found."""
    if plan.state is not None and plan.action is not Action.REFUSE:
        return
    if plan.has_errors:
        plan.action = Action.REFUSE
        plan.reason = f"{plan.count(Severity.ERROR)} error(s) must be fixed first"
    else:
        plan.action = Action.DELIVER
        plan.reason = f"{len(plan.files)} file(s) pass preflight"


def ready_reason(manifest_path: Path) -> str:
    """What a READY delivery waits for: the decision file to add, or the one already there
    (which `apply --pending` acts on), so the pull request's plan states the next step."""
    try:
        decision = read_decision(manifest_path)
    except DecisionError as exc:
        return f"READY, but the decision is unclear: {exc}"
    if decision is not None:
        return (f"READY; {decision_file(manifest_path, decision)} is there: "
                f"apply --pending will {decision} it")
    submission = (load_record(manifest_path) or {}).get("submission")
    results_url = submission.get("results_url") if isinstance(submission, dict) else None
    return how_to_decide(manifest_path, results_url)


@dataclass(frozen=True)
class RulesSource:
    """Where plan reads the derive-from context: a CRDS cache folder (None: rules are not
    predicted), optionally synced first from the manifest's server (`sync` = its env)."""

    cache: Path | None = None
    sync_env: dict[str, str] | None = None


def add_rules(plan: ManifestPlan, manifest: Manifest, source: RulesSource) -> None:
    """Each file's place in the rules, replace conflicts and known duplicates as findings."""
    spec = manifest.context
    if source.cache is not None and source.sync_env is not None:
        from crds_deliver.crds.server import resolve_server
        from crds_deliver.errors import ConfigurationError
        from crds_deliver.rules.sync import sync_context

        try:
            url = resolve_server(manifest.project, manifest.server, source.sync_env).url
            spec = sync_context(url, manifest.project, spec, source.cache)
        except (ContextError, ConfigurationError) as exc:
            plan.rules_note = str(exc)
            return
    files = [(DeliveredFile(f.path, manifest.folder / f.path, f.instrument, f.reftype,
                            f.result.keywords if f.result else None), f.sha1)
             for f in plan.files if f.sha1]
    outcome = plan_rules(manifest.project, spec, source.cache, files)
    plan.rules_context, plan.rules_note = outcome.context, outcome.note
    by_path = {f.path: f for f in plan.files}
    for key, placement in outcome.placements.items():
        by_path[key].rules = placement
    for key, severity, message in outcome.findings:
        by_path[key].findings.append(Finding(Severity(severity), str(manifest.folder / key),
                                             message))


def make_plan(manifest_path: Path, *, on_progress: Progress | None = None,
              rules: RulesSource | None = None) -> ManifestPlan:
    """Plan one manifest. Never raises for bad content: problems are in the plan."""
    return plan_loaded(load_manifest(manifest_path), on_progress=on_progress, rules=rules)


def plan_loaded(loaded: LoadResult, *, on_progress: Progress | None = None,
                rules: RulesSource | None = None) -> ManifestPlan:
    """Plan a manifest already read (the API and apply read it once per run)."""
    manifest_path = loaded.path
    shown = str(manifest_path)
    if loaded.manifest is None:
        return ManifestPlan(shown, Action.REFUSE, "the manifest is not valid",
                            problems=loaded.problems, manifest_path=manifest_path)
    manifest = loaded.manifest
    plan = ManifestPlan(shown, Action.DELIVER, "", project=manifest.project,
                        server=manifest.server, context=manifest.context,
                        instrument=manifest.instrument, problems=problems_with_record(loaded),
                        manifest_path=manifest_path)
    try:
        state = read_state(manifest_path)
    except RecordError as exc:
        plan.problems.append(Problem(shown, f"unreadable result record: {exc}"))
        state = None
    if state is not None:
        plan.state = state.value
        if plan.has_errors:  # edited after its delivery started: nothing may run
            plan.action = Action.REFUSE
            plan.reason = f"the manifest was edited after its delivery reached {state.value}"
            return plan
        if state in TERMINAL_STATES:
            plan.action = Action.SKIP
            plan.reason = f"the result record says {state.value}: nothing left to do"
            return plan
        plan.action = Action.RESUME
        plan.reason = (ready_reason(manifest_path) if state is State.READY else
                       f"a delivery is under way ({state.value}): apply will follow it up")

    resolution = resolve_globs(shown, manifest.folder, manifest.files,
                               lambda i: manifest.locate(("files", i)),
                               manifest.options.files_root)
    plan.problems += resolution.problems
    local = on_local_disks({f.path.parent for f in resolution.files})
    threads = plan_threads(resolution.files, local)
    with deep_pool.deep_checker(manifest.project, len(resolution.files)) as deep_check:
        threads = max(1, min(len(resolution.files),
                             threads + deep_pool.feeder_threads(deep_check)))
        with ThreadPoolExecutor(max_workers=threads) as pool:
            plan.files = list(pool.map(
                lambda f: _certify_one(f, manifest.project, on_progress, deep_check, local),
                resolution.files))
    plan.findings = certify_delivery(
        manifest.project, manifest.instrument, str(manifest.form.get("file_type") or ""),
        [CertifiedFile(str(manifest.folder / f.path), f.sha1, f.result)
         for f in plan.files if f.sha1 and f.result])
    add_rules(plan, manifest, rules or RulesSource())
    plan.problems += pin_problems(manifest, plan.files)
    decide(plan)
    return plan


def plan_threads(files: list[ResolvedFile], local: bool) -> int:
    """Threads that read and check `files`: one a core (at most MAX_WORKERS), or one for
    small files (median size up to SMALL_FILE) on local disks (`local`: on_local_disks).

    Why: most of a small file's plan is Python (its header, the checks), which holds the GIL,
    and a second thread only fought the first for it: 2,000 biases of 43 KB, alternating, one
    thread against two: 18% less CPU and 12% less wall time (read-ahead threads feeding one
    thread: no less CPU than two). Larger files are mostly hashing, which runs in parallel
    (200 of 1 MB: the same CPU, 1.5x the wall time in one thread), and on a network file
    system the threads overlap its round trips (filesystems.py)."""
    if not files:
        return 1
    if local and statistics.median_low(f.size for f in files) <= SMALL_FILE:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(files)))


_TOP_KEY = re.compile(r"^[^\s#-]")
_PINNED_KEY = re.compile(r"^pinned\s*:")


def pinned_block(files: list[PlannedFile]) -> str:
    """The `pinned:` YAML block for `files` (paths as JSON strings: always valid YAML)."""
    lines = ["pinned:"]
    for item in files:
        lines += [f"  - path: {json.dumps(item.path)}", f"    size: {item.size}",
                  f"    sha256: {item.sha256}"]
    return "\n".join(lines) + "\n"


def replace_pinned(text: str, block: str) -> str:
    """`text` with its top-level pinned block replaced by `block` (appended when absent);
    every other byte, comments included, is kept."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _PINNED_KEY.match(line)), None)
    if start is None:
        joiner = "" if not text or text.endswith("\n") else "\n"
        return text + joiner + block
    end = start + 1
    while end < len(lines) and not _TOP_KEY.match(lines[end]):
        end += 1
    # Comment lines and blank lines just above the next key belong to that key.
    while end - 1 > start and not lines[end - 1].startswith((" ", "-", "\t")):
        end -= 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def pin_manifest(plan: ManifestPlan) -> ManifestPlan:
    """Write the plan's files and sha256 digests into the manifest (atomically) and return
    the plan without the pin mismatches it fixed. Refuses when other errors remain."""
    from crds_deliver.errors import ManifestError

    others = [p for p in plan.problems
              if p.severity is Severity.ERROR and not (p.field or "").startswith(PIN_FIELD)]
    findings = [f for f in plan.all_findings() if f.severity is Severity.ERROR]
    if plan.manifest_path is None or plan.action is Action.SKIP or others or findings \
            or not plan.files:
        raise ManifestError(f"{plan.manifest}: not pinned: fix the errors first", others)
    path = plan.manifest_path
    text = path.read_text(encoding="utf-8")
    updated = replace_pinned(text, pinned_block(plan.files))
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(updated)
        os.chmod(temp, path.stat().st_mode & 0o777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    plan.problems = [p for p in plan.problems if not (p.field or "").startswith(PIN_FIELD)]
    plan.action = Action.REFUSE if plan.state is None else plan.action
    decide(plan)
    return plan
