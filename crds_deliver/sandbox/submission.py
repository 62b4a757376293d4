"""Processing a submission POST and its confirm/cancel, as the real server does it in-request.

A submission takes every file of the user's ingest area, certifies each with our own preflight
(crds_deliver.certify), names it officially, builds pending rmaps on the derive-from context,
reports progress on the session's jpoll channel and ends READY, BAD FILES or FAIL with a stored
results page. Confirm turns the pending files and rmaps into a new edit context; cancel drops
them. Input errors are "trapped": an error page and no `done`, like the real server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from crds_deliver.certify._reftypes import REFTYPES
from crds_deliver.files import Digest
from crds_deliver.problems import Severity
from crds_deliver.rules.predict import DeliveredFile, Prediction, predict
from crds_deliver.sandbox import naming
from crds_deliver.sandbox.catalog import DELIVERED, SUBMITTED, Catalog
from crds_deliver.sandbox.faults import Faults
from crds_deliver.sandbox.ingest import IngestArea
from crds_deliver.sandbox.rules import Rules
from crds_deliver.sandbox.sessions import Session
from crds_deliver.sandbox.settings import SandboxSettings

if TYPE_CHECKING:  # the certification engine is imported when a submission comes
    from crds_deliver.certify import CertifyResult, Preflight

T = TypeVar("T")

READY, BAD_FILES, FAIL = "READY", "BAD FILES", "FAIL"
CONFIRMED, CANCELLED, CERTIFIED = "CONFIRMED", "CANCELLED", "CERTIFIED"
ABORT_MESSAGE = "External agent requested calling process termination."


class Trapped(Exception):
    """Invalid input: answered with the error page, no `done` on the channel."""


class _Aborted(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    """A finished submission or confirmation: its results page id and final state."""

    result_id: str
    state: str


# A few threads read, hash and certify the files of a submission: hashlib and numpy release
# the GIL, so one file's digests overlap another's header parsing.
_THREADS = min(4, os.cpu_count() or 1)


def _each_in_threads(function: Callable[[Path], T], paths: list[Path]
                     ) -> Iterator[tuple[Path, T]]:
    """(path, function(path)) in the order of `paths`, computed by _THREADS threads ahead of
    the caller, who reports each file in turn as the real server does; a caller that stops
    early (a trapped or aborted submission) cancels what has not started."""
    pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="sandbox-certify")
    try:
        yield from zip(paths, pool.map(function, paths), strict=True)
    finally:
        pool.shutdown(cancel_futures=True)


Certified = tuple[str | None, str | None, list[tuple[str, str]], dict[str, object] | None]
FirstRead = tuple["Preflight", Digest]


def _first_read(path: Path, project: str) -> FirstRead:
    """A submitted file's one read: its digests (the duplicate checks need the sha1) and the
    first half of its certification (layout, FITS sums; certify/preflight.py)."""
    from crds_deliver.certify.preflight import read_and_check

    return read_and_check(path, project, name=path.name)


def _certify(first: FirstRead, path: Path) -> Certified:
    """The server-side certification of a file whose first read is done, at `path` (where
    the file is now). The same engine as `plan` (crds_deliver.certify), which runs crds's own
    certifier when the sandbox's Python has crds (and the project's datamodels). A verdict
    this process reached on the same bytes (`apply --sandbox`'s plan) is taken as it is."""
    from crds_deliver.certify.preflight import concluded

    preflight, digest = first
    preflight.moved_to(path)
    return _as_logged(concluded(preflight, digest), path)


def _as_logged(result: CertifyResult, path: Path) -> Certified:
    """(instrument, reftype, [(severity, message)], keywords), the messages as the server's
    certify log gives them: `instrument='MIRI' type='DARK' data='x.fits' ::  Checking ...`."""
    prefix = (f"instrument='{(result.instrument or 'unknown').upper()}' "
              f"type='{(result.reftype or 'unknown').upper()}' data='{path.name}' ::  ")
    findings = [(f.severity.value, prefix + f.message.removeprefix("crds: ").replace(
        str(path), path.name)) for f in result.findings
        if f.severity in (Severity.ERROR, Severity.WARNING)]
    instrument = result.instrument.lower() if result.instrument else None
    reftype = result.reftype.lower() if result.reftype else None
    return instrument, reftype, findings, result.keywords


class Processor:
    """Runs submissions and confirmations against one catalog."""

    def __init__(self, catalog: Catalog, rules: Rules, settings: SandboxSettings,
                 faults: Faults, data_dir: Path, root_url: Callable[[], str]) -> None:
        self.catalog = catalog
        self.rules = rules
        self.settings = settings
        self.faults = faults
        self.staging = data_dir / "staging"
        self.references = data_dir / "references"
        self.references.mkdir(parents=True, exist_ok=True)
        self.root_url = root_url
        self.project = catalog.project

    # --- channel --------------------------------------------------------------------------

    def _log(self, session: Session, text: str, kind: str = "log_message") -> None:
        """Push a message: `log_message` (info), or `error` / `warning`, which the crds
        client's monitor counts as its own errors and warnings."""
        key = session.jpoll_key
        if key is None:
            return
        if self.catalog.channel_aborted(key):
            raise _Aborted(ABORT_MESSAGE)
        self.catalog.push_message(key, kind if kind in ("error", "warning") else "log_message",
                                  html.escape(text))

    def _done(self, session: Session, status: int, result_id: str) -> None:
        if session.jpoll_key:
            url = self.root_url() + "/display_result/" + result_id
            self.catalog.push_message(session.jpoll_key, "done",
                                      {"status": status, "result": html.escape(url)})

    # --- submission -----------------------------------------------------------------------

    def derive_context(self, values: dict) -> str:
        mode = values["pmap_mode"]
        if mode in ("pmap_text", "pmap_menu"):
            name = values["pmap_text"]
            info = self.catalog.delivered(name)
            if not name.endswith(".pmap") or info is None:
                raise Trapped(f"Unknown context '{name}'.")
            return name
        if mode == "pmap_operational":
            return self.catalog.operational_context
        return self.catalog.edit_context

    def submit(self, session: Session, values: dict, ingest: IngestArea, redcat: bool,
               kind: str) -> Outcome:
        """Process the ingest area of `session`'s user. Raises Trapped on invalid input."""
        trap = self.faults.take_trap()
        if trap:
            raise Trapped(trap)
        files = ingest.files()
        if not files:
            raise Trapped("No input files were specified.")
        if redcat and values.get("instrument") != session.instrument:
            raise Trapped(f"Instrument '{values.get('instrument')}' does not match the "
                          f"instrument locked at login, '{session.instrument}'.")
        context = self.derive_context(values)
        reads: dict[str, FirstRead] = {}
        seen: set[str] = set()
        for path, read in _each_in_threads(lambda file: _first_read(file, self.project),
                                           files):
            digest = read[1]
            known = self.catalog.find_sha1(digest.sha1)
            if known:
                raise Trapped(f"File '{path.name}' is identical to existing CRDS file "
                              f"'{known}'.")
            if digest.sha1 in seen:
                raise Trapped(f"File '{path.name}' is identical to another submitted file.")
            seen.add(digest.sha1)
            reads[path.name] = read
        if not values.get("auto_rename", True):
            for path in files:
                if self.catalog.file(path.name) is not None:
                    raise Trapped(f"File '{path.name}' already exists in CRDS; turn "
                                  "auto_rename on or choose a new name.")
        sid = str(uuid.uuid4())
        stage = self.staging / sid
        stage.mkdir(parents=True)
        for path in files:
            shutil.move(str(path), stage / path.name)
        record = {"kind": kind, "project": self.project, "instrument": session.instrument,
                  "context": context, "values": values, "files": [], "rmaps": {},
                  "diffs": [], "replaced": [], "error": ""}
        try:
            state = self._process(session, sid, stage, record, reads)
        except _Aborted as exc:
            state = FAIL
            record["error"] = str(exc)
            self._drop_pending(sid, stage, record)
        except Exception as exc:  # a failed run must end FAIL with a page, never hang
            state = FAIL
            record["error"] = f"internal server error: {type(exc).__name__}: {exc}"
            self._drop_pending(sid, stage, record)
            with contextlib.suppress(_Aborted):
                self._log(session, "ERROR: " + record["error"])
        self.catalog.save_submission(sid, session.user, state, record)
        result_id = str(uuid.uuid4())
        self.catalog.add_result(result_id, sid, "submission")
        self._done(session, 1 if state == FAIL else 0, result_id)
        return Outcome(result_id, state)

    def _process(self, session: Session, sid: str, stage: Path, record: dict,
                 reads: dict[str, FirstRead]) -> str:
        """Certify, place and name the staged files: READY, or BAD_FILES. `reads`: each
        file's first read, by name (the duplicate checks'), which its certification goes on
        from: a file is read once."""
        values = record["values"]
        self._log(session, f"Processing {record['kind']} submission of {len(reads)} "
                           f"file(s) by '{session.user}' relative to '{record['context']}'.")
        time.sleep(self.settings.processing_delay)
        keywords: dict[str, dict[str, object] | None] = {}
        staged = sorted(stage.iterdir())
        verdicts = _each_in_threads(lambda path: _certify(reads[path.name], path), staged)
        for path, verdict in verdicts:
            record["files"].append(self._check(session, path, verdict,
                                               reads[path.name][1].sha1, keywords))
        certified = {info["uploaded"]: info for info in record["files"]
                     if info["status"] != "ERRORS"}
        prediction = self._place(record["context"], stage, list(certified.values()), keywords)
        for key, reason in prediction.unplaced.items():
            self._finding(session, certified[key], f"cannot be placed in the rules: {reason}")
        for key, _other, text in prediction.conflicts:
            # crds' rmap insertion logs this as an error; the sandbox warns (the later file
            # wins, as in CRDS) so rehearsals of such deliveries still reach READY, and
            # `plan` refuses them before they get here.
            info = certified[key]
            info["findings"].append(["warning", text])
            info["status"] = "Warnings" if info["status"] == "OK" else info["status"]
            self._log(session, f"WARNING: {key}: {text}", "warning")
        forced = self.faults.take_outcome()
        if forced == FAIL:
            raise RuntimeError("processing failed (fault injected)")
        errors = sum(info["status"] == "ERRORS" for info in record["files"])
        if errors or forced == BAD_FILES:
            self._log(session, f"Submission has {errors} file(s) with certify errors: "
                               "BAD FILES; cancel it and deliver corrected files.", "error")
            return BAD_FILES
        changes: dict[str, list] = {}
        with self.catalog.transaction():
            for key, placed in sorted(prediction.placements.items()):
                info = certified[key]
                new_name = self._name(info, values["auto_rename"])
                # Via a temporary name: one file's new name may be another's uploaded one.
                (stage / info["uploaded"]).rename(stage / f".{new_name}.renaming")
                info["new"] = new_name
                info["rules"] = placed.to_dict()
                self.catalog.add_file(
                    new_name, "reference", instrument=info["instrument"],
                    filekind=info["filekind"], sha1sum=info["sha1sum"], size=info["size"],
                    uploaded_as=info["uploaded"], state=SUBMITTED, submission_id=sid,
                    change_level=values.get("change_level", ""),
                    description=values.get("description", ""))
                changes.setdefault(placed.rmap, []).append(
                    [list(placed.match.values()), placed.useafter, new_name])
                if placed.replaces:
                    record["replaced"].append([placed.replaces, new_name])
        for info in certified.values():
            (stage / f".{info['new']}.renaming").rename(stage / info["new"])
        for old_rmap, items in sorted(changes.items()):
            pending, _text = self.rules.pending_rmap(
                old_rmap, [(tuple(m), date, name) for m, date, name in items])
            record["rmaps"][old_rmap] = items
            record["diffs"].append([old_rmap, pending])
        for info in record["files"]:
            if info["uploaded"] != info["new"]:
                self._log(session, f"Renamed '{info['uploaded']}' --> '{info['new']}'")
        for old_rmap, new_rmap in record["diffs"]:
            self._log(session, f"Generated new rules '{new_rmap}' from '{old_rmap}'")
        for gone, new_name in record["replaced"]:
            self._log(session, f"'{new_name}' replaces '{gone}' (same match values and "
                               "USEAFTER)")
        self._log(session, "Submission is READY for confirmation or cancellation.")
        return READY

    def _place(self, context: str, stage: Path, infos: list[dict],
               keywords: dict[str, dict[str, object] | None]) -> Prediction:
        """Where each certified file goes in `context`: the engine `plan` predicts with, on
        the keywords the certification read."""
        wanted = {(i["instrument"], i["filekind"]) for i in infos}
        return predict(self.rules.context(context, wanted),
                       [DeliveredFile(i["uploaded"], stage / i["uploaded"], i["instrument"],
                                      i["filekind"], keywords.get(i["uploaded"]))
                        for i in infos])

    def _finding(self, session: Session, info: dict, message: str) -> None:
        """Add an error to a file's results, and say it on the channel as an error."""
        info["findings"].append(["error", message])
        info["status"] = "ERRORS"
        self._log(session, f"ERROR: {info['uploaded']}: {message}", "error")

    def _check(self, session: Session, path: Path, verdict: Certified, sha1sum: str,
               keywords: dict[str, dict[str, object] | None] | None = None) -> dict:
        """Report one file's certification; returns its results-page record (and keeps the
        keywords the certification read in `keywords`, by file name)."""
        self._log(session, f"Certifying '{path.name}'")
        instrument, reftype, findings, read = verdict
        if keywords is not None:
            keywords[path.name] = read
        if not (instrument and reftype) and not any(s == "error" for s, _ in findings):
            findings.append(("error", "cannot tell the instrument and reference type"))
        if instrument and session.instrument != "none" and instrument != session.instrument:
            findings.append(("error", f"instrument '{instrument}' is not the instrument "
                                      f"locked for this submission, '{session.instrument}'"))
        for severity, message in findings:
            # Typed messages: the crds client counts them as its own errors and warnings.
            self._log(session, message, severity)
        has_error = any(s == "error" for s, _ in findings)
        return {"uploaded": path.name, "new": path.name, "sha1sum": sha1sum,
                "size": path.stat().st_size, "instrument": instrument or "",
                "filekind": reftype or "", "findings": [list(f) for f in findings],
                "status": "ERRORS" if has_error else ("Warnings" if findings else "OK"),
                "rules": None}

    def certify_only(self, session: Session, values: dict, ingest: IngestArea) -> Outcome:
        """The /certify/ page: certify the ingest area against a context, change nothing."""
        files = ingest.files()
        if not files:
            raise Trapped("No input files were specified.")
        context = self.derive_context(values)
        record = {"kind": "certify", "project": self.project, "instrument": session.instrument,
                  "context": context, "values": values, "files": [], "rmaps": {},
                  "diffs": [], "replaced": [], "error": ""}
        try:
            self._log(session, f"Certifying {len(files)} file(s) relative to '{context}'.")
            for path, (verdict, sha1) in _each_in_threads(self._certified_here, files):
                record["files"].append(self._check(session, path, verdict, sha1))
            bad = any(info["status"] == "ERRORS" for info in record["files"])
            state = BAD_FILES if bad else CERTIFIED
        except _Aborted as exc:
            state, record["error"] = FAIL, str(exc)
        sid = str(uuid.uuid4())
        self.catalog.save_submission(sid, session.user, state, record)
        result_id = str(uuid.uuid4())
        self.catalog.add_result(result_id, sid, "submission")
        self._done(session, 1 if state == FAIL else 0, result_id)
        return Outcome(result_id, state)

    def _certified_here(self, path: Path) -> tuple[Certified, str]:
        """(the certification, the sha1) of a file left where it is, from one read."""
        first = _first_read(path, self.project)
        return _certify(first, path), first[1].sha1

    def _name(self, info: dict, auto_rename: bool) -> str:
        """The official name: the uploaded one, or CRDS's next name for the type (HST:
        a CDBS-style unique name, as crds uniqname makes; others: the next serial)."""
        if not auto_rename:
            return info["uploaded"]
        instrument, kind = info["instrument"], info["filekind"]
        ext = "." + naming.extension(info["uploaded"])
        suffix = REFTYPES.get(self.project, {}).get(instrument, {}).get(kind, ("",))[0]
        if self.project == "hst" and instrument in naming.HST_ID_CHARS and suffix:
            return naming.next_cdbs_name(instrument, suffix, ext, dt.datetime.now(dt.timezone.utc),
                                         self.catalog.all_names())
        stem = naming.reference_stem(self.project, instrument, kind)
        return naming.next_name(stem, ext[1:], self.catalog.all_names())

    def _drop_pending(self, sid: str, stage: Path, record: dict) -> None:
        self.catalog.delete_files_of(sid)
        record["rmaps"], record["diffs"] = {}, []
        shutil.rmtree(stage, ignore_errors=True)

    # --- confirm / cancel -----------------------------------------------------------------

    def finish(self, session: Session, result_id: str, button: str,
               lock_ok: bool) -> Outcome:
        """Confirm or cancel the submission behind `result_id`. Raises Trapped when refused."""
        found = self.catalog.result(result_id)
        if found is None:
            raise Trapped(f"Unknown results id '{result_id}'.")
        sid = found[0]
        record = self.catalog.submission(sid)
        assert record is not None
        if record["kind"] == "certify":
            raise Trapped("A certification has nothing to confirm or cancel.")
        if button not in ("confirm", "cancel", "force"):
            raise Trapped(f"Unknown action '{button}'.")
        if record["state"] not in (READY, BAD_FILES):
            raise Trapped("This submission was already confirmed or cancelled.")
        if record["user"] != session.user:
            raise Trapped(f"Only '{record['user']}' may confirm or cancel this submission.")
        stage = self.staging / sid
        if button in ("confirm", "force"):
            if record["state"] != READY:
                raise Trapped(f"A submission in state {record['state']} cannot be confirmed; "
                              "cancel it.")
            if button == "confirm" and not (lock_ok and
                                            session.instrument == record["instrument"]):
                raise Trapped(f"BROKEN LOCK: the lock on '{record['instrument']}' is no longer "
                              "held by this session. Use 'force' to confirm anyway.")
            self._confirm(sid, stage, record)
            state = CONFIRMED
        else:
            self._drop_pending(sid, stage, record)
            state = CANCELLED
        self.catalog.save_submission(sid, record["user"], state, record)
        confirmation_id = str(uuid.uuid4())
        self.catalog.add_result(confirmation_id, sid, "confirmation")
        self._done(session, 0, confirmation_id)
        return Outcome(confirmation_id, state)

    def _confirm(self, sid: str, stage: Path, record: dict) -> None:
        with self.catalog.transaction():
            for info in record["files"]:
                shutil.move(str(stage / info["new"]), self.references / info["new"])
                self.catalog.update_file(info["new"], state=DELIVERED)
            pmap, renamed = self.rules.commit(
                {old: [(tuple(m), date, name) for m, date, name in items]
                 for old, items in record["rmaps"].items()},
                record["values"].get("description", ""))
        shutil.rmtree(stage, ignore_errors=True)
        record["new_context"] = pmap
        renamed.setdefault(record["context"], pmap)  # the client looks up its own old pmap
        record["renamed"] = renamed
