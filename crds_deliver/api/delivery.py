"""`Delivery`: one delivery of reference files, from a manifest or from Python values.

The same engine as the command line, one path through it: the CLI's validate, plan, apply,
confirm and cancel call these methods. A delivery built from values is written as manifest
text and parsed like a file, so it is checked by the same schema; `save()` makes it a manifest
for review, and `apply()` saves an unsaved one first, because a result record always sits next
to the manifest it records (its digest proves which form was delivered).
"""

from __future__ import annotations

import atexit
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from crds_deliver.api.values import (
    VALUES,
    DeliveryError,
    FileArg,
    ManifestData,
    Scalar,
    default_name,
    free_path,
    from_manifest,
    from_values,
    manifest_text,
)
from crds_deliver.api.views import Outcome, Plan
from crds_deliver.connections import SandboxPool, session_lock, user_connection
from crds_deliver.errors import CrdsDeliverError
from crds_deliver.lock import DeliveryLock
from crds_deliver.manifest import LoadResult, Manifest, load_manifest, parse_manifest
from crds_deliver.problems import Problem, Severity
from crds_deliver.record import Record, State, edited_problem, problems_with_record, record_path
from crds_deliver.record import write_atomically as write_file
from crds_deliver.scaffold import schema_reference

if TYPE_CHECKING:  # planning loads astropy, delivering requests: imported when first used
    from crds_deliver.apply import Callbacks, Connection
    from crds_deliver.plan import Progress, RulesSource

# Where apply() saves a delivery built from values when save() was not called first.
DEFAULT_FOLDER = Path("crds-deliveries")

# A sandbox given to apply/confirm/cancel: True (one for this process, in a temp folder), the
# folder that keeps its state, or a pool the caller manages.
SandboxArg = bool | str | os.PathLike | SandboxPool | None


class DeliveryRefused(DeliveryError):
    """apply() will not deliver: the plan has errors. `plan` says which, file by file."""

    def __init__(self, plan: Plan) -> None:
        problems = [p for p in plan.problems if p.severity is Severity.ERROR]
        problems += [Problem(f.file, f.message, field=None) for f in plan.findings
                     if f.severity is Severity.ERROR]
        super().__init__(problems, f"{plan.manifest_plan.manifest}: refused: {plan.reason}")
        self.plan = plan


_POOLS: dict[Path | None, SandboxPool] = {}


def _process_sandbox(data: Path | None) -> SandboxPool:
    """The sandbox pool of this process for a data folder (None: a temp folder), kept running
    until the interpreter exits so that confirm() finds the server apply() used."""
    pool = _POOLS.get(data)
    if pool is None:
        folder = data
        if folder is None:
            temp = tempfile.TemporaryDirectory(prefix="crds-deliver-sandbox-")
            atexit.register(temp.cleanup)
            folder = Path(temp.name)
        pool = _POOLS[data] = SandboxPool(folder)
        atexit.register(pool.stop)
    return pool


def _pool(sandbox: SandboxArg) -> SandboxPool | None:
    if sandbox is None or sandbox is False:
        return None
    if isinstance(sandbox, SandboxPool):
        return sandbox
    if sandbox is True:
        return _process_sandbox(None)
    return _process_sandbox(Path(sandbox).expanduser().resolve())


def _warn(text: str) -> None:
    warnings.warn(text, UserWarning, stacklevel=3)


def _ask_stdin(question: str) -> bool:
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


class Delivery:
    """One delivery: a manifest's project, server, files and submission form.

    Build it from values, `Delivery(project="jwst", server="bit", files=["dark.fits"],
    form={...})` (file paths relative to the current folder), or read a manifest with
    `Delivery.load(path)`. Wrong field names or values raise DeliveryError listing every
    problem with its field.
    """

    def __init__(self, project: str, server: str, files: Sequence[FileArg] | FileArg,
                 form: Mapping[str, Scalar], options: Mapping[str, Scalar] | None = None,
                 *, context: str | None = None, folder: FileArg | None = None,
                 name: str | None = None) -> None:
        base = Path.cwd()
        where = Path(folder if folder is not None else DEFAULT_FOLDER).expanduser()
        where = where if where.is_absolute() else base / where
        path = where / (name or default_name(form if isinstance(form, Mapping) else {}))
        if not path.name.endswith((".yaml", ".yml")):
            path = path.with_name(path.name + ".yaml")
        data, problems = from_values(project, server, files, form, options, context, base,
                                     path.parent)
        if problems:
            raise DeliveryError(problems)
        self._bind(path, data, saved=False)

    @classmethod
    def load(cls, path: FileArg) -> Delivery:
        """A delivery read from a manifest. Never raises for bad content: validate() and plan()
        report it, apply() refuses it."""
        delivery = cls.__new__(cls)
        delivery._use(load_manifest(Path(path)), saved=True, text=None)
        return delivery

    # ----- state --------------------------------------------------------------------------

    def _bind(self, path: Path, data: ManifestData, saved: bool) -> None:
        """Hold `data` as the manifest text at `path` (written or not), checked by the parser
        and schema every manifest goes through; raise DeliveryError with every problem."""
        text = manifest_text(data, schema_reference(path))
        loaded = parse_manifest(path, text.encode("utf-8"))
        errors = [p for p in loaded.problems if p.severity is Severity.ERROR]
        if errors:
            raise DeliveryError([replace(p, file=VALUES, line=None, column=None)
                                 for p in errors])
        self._use(loaded, saved, text)

    def _use(self, loaded: LoadResult, saved: bool, text: str | None) -> None:
        self._loaded = loaded
        self._saved = saved
        self._text = text
        self._sandbox: SandboxPool | None = None

    @property
    def path(self) -> Path:
        """The manifest file; for a delivery not yet saved, where apply() will save it."""
        return self._loaded.path

    @property
    def saved(self) -> bool:
        return self._saved

    @property
    def manifest(self) -> Manifest | None:
        """The validated manifest, or None when it has errors (see validate())."""
        return self._loaded.manifest

    def _valid(self) -> Manifest:
        if self._loaded.manifest is None:
            raise DeliveryError(self._loaded.problems, f"{self.path} is not a valid manifest")
        return self._loaded.manifest

    @property
    def project(self) -> str:
        return self._valid().project

    @property
    def server(self) -> str:
        return self._valid().server

    @property
    def context(self) -> str:
        return self._valid().context

    @property
    def files(self) -> list[str]:
        """The file globs, relative to the manifest's folder."""
        return list(self._valid().files)

    @property
    def form(self) -> dict[str, Scalar]:
        """The submission form as it will be posted (choices spelled as the server does)."""
        return dict(self._valid().form)

    @property
    def options(self) -> dict[str, Scalar]:
        return asdict(self._valid().options)

    @property
    def record(self) -> Record | None:
        """The result record next to the manifest, None before the first apply()."""
        return Record.load(self.path) if self._saved else None

    @property
    def history(self) -> list[tuple[str, str]]:
        """The record's transitions as (state, UTC time), oldest first."""
        record = self.record
        if record is None:
            return []
        return [(str(t.get("state")), str(t.get("time")))
                for t in record.data.get("transitions", [])]

    # ----- offline ------------------------------------------------------------------------

    def validate(self) -> list[Problem]:
        """Every problem of the manifest, located (file:line:col and field); warnings too.
        A delivered manifest that was edited since is an error here."""
        return problems_with_record(self._loaded)

    def plan(self, on_progress: Progress | None = None, *,
             rules: RulesSource | None = None) -> Plan:
        """Resolve the files, digest and certify them offline, and say what apply would do.
        `on_progress(file, bytes_done, size)` follows the hashing of large files; `rules`
        names the CRDS cache the rules change is predicted from."""
        from crds_deliver.plan import plan_loaded

        return Plan(plan_loaded(self._loaded, on_progress=on_progress, rules=rules))

    def save(self, path: FileArg | None = None, *, overwrite: bool = False) -> Path:
        """Write the manifest (default: `path`, where apply() would save it) and use it from
        now on; file globs are rewritten relative to the new folder. Refuses to replace
        another file unless `overwrite`. Returns the manifest's path."""
        manifest = self._valid()
        if path is not None:
            target = Path(path).expanduser().resolve()
        else:
            target = self.path.resolve() if self._saved else free_path(self.path)
        if self._saved and target == self.path.resolve():
            return self.path
        if target != self.path or self._text is None:
            self._bind(target, from_manifest(manifest, target.parent), saved=False)
        assert self._text is not None  # _bind set it
        if target.exists() and not overwrite and target.read_text(errors="replace") != self._text:
            raise DeliveryError([Problem(str(target), "a different file is already there; "
                                         "pass overwrite=True to replace it")],
                                f"{target} was not saved")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_file(target, self._text)
        self._saved = True
        return target

    # ----- on the server ------------------------------------------------------------------

    def _connection(self, manifest: Manifest, pool: SandboxPool | None,
                    token_file: FileArg | None, username: str | None,
                    prompt: Callable[[str], str] | None, callbacks: Callbacks,
                    on_warning: Callable[[str], None] | None) -> Connection:
        if pool is not None:
            return pool.connection(manifest.project)
        return user_connection(manifest, Path(token_file) if token_file else None, username,
                               prompt, callbacks, on_warning or _warn)

    def _checked(self) -> Manifest:
        manifest = self._valid()
        edited = edited_problem(manifest)
        if edited is not None:
            raise DeliveryError([edited], f"{self.path} cannot be used")
        return manifest

    def apply(self, *, sandbox: SandboxArg = False, yes: bool = True,
              ask: Callable[[str], bool] | None = None, token_file: FileArg | None = None,
              username: str | None = None, prompt: Callable[[str], str] | None = None,
              wait: bool = False, callbacks: Callbacks | None = None,
              on_warning: Callable[[str], None] | None = None) -> Outcome:
        """Deliver: plan, upload, submit, follow the server, write the result record.

        A delivery not saved yet is saved first (see `path`). Re-running resumes an
        unfinished delivery and skips a finished one; nothing is ever posted twice.
        `sandbox=True` delivers to a sandbox server started in this process (kept for
        confirm()); else the manifest's server (CRDS_SERVER_URL overrides) with the MAST
        token from `token_file`, MAST_API_TOKEN or ~/.crds.ini. With `yes=False`, `ask`
        (default: a y/N question on stdin) must agree first. Progress goes to `callbacks`,
        doubts about the credentials to `on_warning` (default: warnings.warn). Raises
        DeliveryRefused when
        the plan has errors, and the engine's typed errors (CrdsDeliverError) otherwise.
        """
        from crds_deliver.apply import Callbacks, deliver, planned_files
        from crds_deliver.apply import Outcome as EngineOutcome
        from crds_deliver.plan import Action, plan_loaded

        self._valid()
        self.save()
        manifest = self._checked()
        callbacks = callbacks or Callbacks()
        pool = _pool(sandbox)
        with DeliveryLock(self.path, wait=wait, on_message=callbacks.say):
            planned = Plan(plan_loaded(self._loaded))
            action = planned.manifest_plan.action
            if action is Action.REFUSE:
                raise DeliveryRefused(planned)
            if action is Action.SKIP:
                return Outcome(EngineOutcome(self.path, State(planned.manifest_plan.state),
                                             Record.load(self.path), False, planned.reason))
            connection = self._connection(manifest, pool, token_file, username, prompt,
                                          callbacks, on_warning)
            if action is Action.DELIVER and not yes:
                total = sum(f.size or 0 for f in planned.files)
                if not (ask or _ask_stdin)(f"deliver {len(planned.files)} file(s), {total} "
                                           f"bytes, from {self.path} to {connection.url}?"):
                    return Outcome(EngineOutcome(self.path, None, None, False,
                                                 "not delivered (declined)"))
            callbacks.say(f"{planned.reason}; server {connection.url}")
            self._sandbox = pool
            with session_lock(self.path, connection, wait, callbacks) as held:
                connection = replace(connection, wait_for_user=wait,
                                     orphaned_login=held.recovered)
                return Outcome(deliver(manifest, planned_files(manifest, planned.manifest_plan),
                                       planned.findings, connection, callbacks))

    def confirm(self, *, sandbox: SandboxArg = None, token_file: FileArg | None = None,
                username: str | None = None, prompt: Callable[[str], str] | None = None,
                callbacks: Callbacks | None = None,
                on_warning: Callable[[str], None] | None = None) -> Outcome:
        """Confirm a READY delivery: the server makes the files and rules official. A
        sandboxed delivery needs its sandbox (apply's, kept by this object, by default)."""
        return self._finish("confirm", sandbox, token_file, username, prompt, callbacks,
                            on_warning)

    def cancel(self, *, sandbox: SandboxArg = None, token_file: FileArg | None = None,
               username: str | None = None, prompt: Callable[[str], str] | None = None,
               callbacks: Callbacks | None = None,
               on_warning: Callable[[str], None] | None = None) -> Outcome:
        """Cancel a READY delivery: the server drops the submitted files."""
        return self._finish("cancel", sandbox, token_file, username, prompt, callbacks,
                            on_warning)

    def _finish(self, button: str, sandbox: SandboxArg, token_file: FileArg | None,
                username: str | None, prompt: Callable[[str], str] | None,
                callbacks: Callbacks | None, on_warning: Callable[[str], None] | None
                ) -> Outcome:
        from crds_deliver.apply import Callbacks, finish

        manifest = self._checked()
        callbacks = callbacks or Callbacks()
        pool = _pool(sandbox) or self._sandbox
        record = self.record
        sandboxed = record is not None and (record.data.get("server") or {}).get("sandbox")
        if sandboxed and pool is None and not os.environ.get("CRDS_SERVER_URL"):
            raise CrdsDeliverError(
                f"{self.path} was delivered to a sandbox: give the sandbox apply used (its data "
                "folder: --sandbox-data DIR, or sandbox=DIR in Python, where sandbox=True in the "
                "same process also works), or run `crds-deliver sandbox --data DIR --project "
                f"{manifest.project}` and point CRDS_SERVER_URL at it")
        with DeliveryLock(self.path, on_message=callbacks.say):
            connection = self._connection(manifest, pool, token_file, username, prompt,
                                          callbacks, on_warning)
            with session_lock(self.path, connection, False, callbacks):
                return Outcome(finish(manifest, connection, button, callbacks))

    # ----- display ------------------------------------------------------------------------

    def __repr__(self) -> str:
        manifest = self._loaded.manifest
        if manifest is None:
            return f"<Delivery {self.path}: invalid, {len(self._loaded.problems)} problem(s)>"
        state = Record.load(self.path) if self._saved and record_path(self.path).exists() \
            else None
        status = state.state.value if state and state.state else \
            ("saved" if self._saved else "not saved")
        return (f"<Delivery {manifest.project} {manifest.instrument} "
                f"{manifest.form.get('file_type')} → {manifest.server}: "
                f"{len(manifest.files)} glob(s), {self.path} ({status})>")

    def _repr_html_(self) -> str:
        import html

        manifest = self._loaded.manifest
        if manifest is None:
            items = "".join(f"<li><code>{html.escape(p.location())}</code>: "
                            f"{html.escape(p.message)}</li>" for p in self._loaded.problems)
            return (f"<p><b>invalid</b> <code>{html.escape(str(self.path))}</code></p>"
                    f"<ul>{items}</ul>")
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
                       for k, v in [("project", manifest.project), ("server", manifest.server),
                                    ("context", manifest.context),
                                    ("files", ", ".join(manifest.files)),
                                    ("manifest", str(self.path))] + list(manifest.form.items()))
        return f"<table><tbody>{rows}</tbody></table>"
