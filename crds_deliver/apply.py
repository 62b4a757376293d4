"""Executing a delivery: the result-record state machine around the CRDS client.

    (checks, login, ingest, upload) ─▶ SUBMITTING ─▶ SUBMITTED ─▶ READY ─▶ CONFIRMED | CANCELLED
                                                          ├──▶ BAD_FILES
                                                          └──▶ FAILED

Nothing before SUBMITTING leaves a trace: a failure there removes what it uploaded and logs
out. SUBMITTING is written before the form is posted, with the progress channel's key, so a
run that dies afterwards can be resumed from the channel; the form is never posted twice.
Nothing here prints: progress goes through `Callbacks`, results are returned, failures raise.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from crds_deliver import __version__
from crds_deliver.crds import (
    CrdsClient,
    CrdsError,
    DuplicateFileError,
    IngestError,
    KnownFile,
    LockConflict,
    Message,
    RequestEvent,
    SessionExpired,
    SubmitOutcome,
    Timeouts,
)
from crds_deliver.crds.client import results_id_of
from crds_deliver.crds.form import Context, submission_fields
from crds_deliver.crds.pages import ResultsPage, read_results
from crds_deliver.credentials import Credentials
from crds_deliver.errors import CrdsDeliverError
from crds_deliver.record import (
    RECORD_FORMAT,
    TERMINAL_STATES,
    Record,
    RecordError,
    State,
    forget,
    now,
)

SAVE_INTERVAL = 1.0  # seconds between writes of the record while progress messages arrive


class FileLike(Protocol):
    """What apply needs of a planned file (crds_deliver.files / plan's DeliveryFile)."""

    path: Path
    name: str
    size: int
    sha1: str
    sha256: str


@dataclass(frozen=True)
class DeliveryFile:
    """A planned file as apply needs it: absolute path, upload name, size and digests."""

    path: Path
    name: str
    size: int
    sha1: str
    sha256: str


def planned_files(manifest: Any, plan: Any) -> list[DeliveryFile]:
    """The files of a crds_deliver.plan.ManifestPlan (paths relative to the manifest)."""
    return [DeliveryFile(manifest.folder / f.path, Path(f.path).name, int(f.size), f.sha1,
                         f.sha256) for f in plan.files]


class FileChanged(CrdsDeliverError):
    """A file's bytes differ from the plan's digest: delivering them would make the record lie
    about what the server received."""


class HumanActionNeeded(CrdsDeliverError):
    """The record cannot be resumed safely without a person looking at the server."""

    exit_code = 5


class RecordMismatch(HumanActionNeeded):
    """The submission a record points at holds other files than the record's."""


@dataclass(frozen=True)
class Connection:
    """Where and as whom to deliver."""

    url: str
    credentials: Credentials
    sandbox: bool = False
    use_case: str | None = None
    timeouts: Timeouts | None = None
    poll_seconds: float = 3.0
    # When another session of this user holds the server's instrument lock: wait for it
    # (--wait) instead of refusing at once.
    wait_for_user: bool = False
    # The user's lock on this machine was left by a run that died here: a server lock of this
    # user on the same instrument is that run's orphan, not a delivery in progress.
    orphaned_login: bool = False


@dataclass
class Callbacks:
    """How apply reports progress; every one is optional."""

    step: Callable[[str], None] | None = None
    message: Callable[[Message], None] | None = None
    upload: Callable[[str, int, int], None] | None = None
    request: Callable[[RequestEvent], None] | None = None

    def say(self, text: str) -> None:
        if self.step:
            self.step(text)


@dataclass
class Outcome:
    """What one apply/confirm/cancel did to one manifest's delivery."""

    manifest_path: Path
    state: State | None
    record: Record | None
    changed: bool
    summary: str
    uploads: dict[str, int] = field(default_factory=dict)  # name -> upload posts

    @property
    def results_id(self) -> str | None:
        return self.record.results_id if self.record else None


def _client(connection: Connection, project: str, callbacks: Callbacks) -> CrdsClient:
    return CrdsClient(connection.url, username=connection.credentials.username,
                      token=connection.credentials.token, project=project,
                      on_request=callbacks.request, timeouts=connection.timeouts,
                      poll_seconds=connection.poll_seconds)


def _finding(finding: Any) -> dict[str, Any]:
    """A preflight finding (crds_deliver.certify.Finding) as record data."""
    severity = getattr(finding, "severity", "error")
    severity = getattr(severity, "value", severity)
    file = getattr(finding, "file", None)
    location = finding.location() if hasattr(finding, "location") else None
    return {"file": str(file) if file is not None else None,
            "severity": str(severity).lower(),
            "message": str(getattr(finding, "message", finding)),
            "location": location}


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


def new_record(manifest: Any, files: Sequence[FileLike], findings: Sequence[Any],
               connection: Connection, context: Context, channel: str | None) -> Record:
    """The record as it is written at SUBMITTING (not yet saved)."""
    folder = manifest.path.parent
    data: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "state": None,
        "manifest": {"path": manifest.path.name, "digest": manifest.digest},
        "tool": {"name": "crds-deliver", "version": __version__},
        "project": manifest.project,
        "instrument": manifest.instrument,
        "username": connection.credentials.username,
        "server": {"url": connection.url, "sandbox": connection.sandbox,
                   "use_case": connection.use_case},
        "context": {"requested": context.requested, "resolved": context.pmap_name,
                    "pmap_mode": context.pmap_mode},
        "files": [{"path": _relative(f.path, folder), "name": f.name, "size": int(f.size),
                   "sha1": f.sha1, "sha256": f.sha256, "official_name": None, "status": None}
                  for f in files],
        "findings": [_finding(f) for f in findings],
        "submission": {"channel": channel, "results_id": None, "results_url": None,
                       "server_status": None},
        "messages": [],
        "file_map": {"references": {}, "mappings": {}, "new_mappings": []},
        "error": None,
        "transitions": [],
        "created": now(),
    }
    return Record(manifest.path, data)


# ----- fresh delivery ---------------------------------------------------------------------

def deliver(manifest: Any, files: Sequence[FileLike], findings: Sequence[Any],
            connection: Connection, callbacks: Callbacks | None = None) -> Outcome:
    """Deliver a manifest's files, or resume / skip according to its record."""
    callbacks = callbacks or Callbacks()
    record = Record.load(manifest.path)
    if record is not None:
        if record.state in TERMINAL_STATES:
            return Outcome(manifest.path, record.state, record, False,
                           f"already delivered: {record.state.value}"
                           + (f" (results {record.results_id})" if record.results_id else ""))
        try:
            return resume(manifest, record, connection, callbacks)
        except NeverPosted as exc:
            callbacks.say(f"{exc}; delivering afresh")
            forget(manifest.path)
    if not files:
        raise CrdsDeliverError(f"{manifest.path}: no files to deliver")
    client = _client(connection, manifest.project, callbacks)
    try:
        return _deliver_fresh(manifest, files, findings, connection, client, callbacks)
    finally:
        client.close()


def _deliver_fresh(manifest: Any, files: Sequence[FileLike], findings: Sequence[Any],
                   connection: Connection, client: CrdsClient,
                   callbacks: Callbacks) -> Outcome:
    instrument = manifest.instrument
    callbacks.say(f"resolving context {manifest.context}")
    context = client.resolve_context(manifest.context)
    callbacks.say("checking the server for identical files")
    existing = _existing_submission(files, client.known_files())
    if existing is not None:
        # Another runner or checkout posted these very files (its record is not here): follow
        # that submission instead of posting them again, which the server would refuse.
        callbacks.say(f"the server already holds these files in submission "
                      f"{results_id_of(existing)}, posted by another run; adopting it instead "
                      "of posting again")
        record = new_record(manifest, files, findings, connection, context, None)
        record.transition(State.SUBMITTING)
        record.transition(State.SUBMITTED, submission={
            "results_url": existing, "results_id": results_id_of(existing)})
        state = _read_results(record, client)
        if state is State.READY and manifest.options.auto_confirm:
            return _auto_confirm(manifest, record, client, callbacks, {})
        return Outcome(manifest.path, state, record, True, "adopted: " + _summary(record))
    _check_lock(client, instrument, connection, callbacks)
    callbacks.say(f"logging in to {connection.url} as {client.username} for {instrument}")
    client.login(instrument)
    uploaded: list[str] = []
    try:
        try:
            posts, channel, csrf = _prepare(manifest, files, client, callbacks, uploaded)
        except SessionExpired as exc:
            # Nothing is posted yet, so starting the steps over in a new session is safe.
            callbacks.say(f"{exc}; logging in again")
            client.login(instrument)
            posts, channel, csrf = _prepare(manifest, files, client, callbacks, uploaded)
    except BaseException:
        _clean_ingest(client, uploaded)
        raise
    fields = submission_fields(manifest.form, context, auto_rename=manifest.options.auto_rename,
                               compare_old_reference=manifest.options.compare_old_reference)
    record = new_record(manifest, files, findings, connection, context, channel)
    try:
        record.transition(State.SUBMITTING)  # write-ahead: saved before the post
    except RecordError:
        _clean_ingest(client, uploaded)  # nothing was posted: leave nothing behind
        raise
    callbacks.say("submitting (the server certifies the files now)")
    outcome = client.submit(fields, channel, csrf, on_message=_recorder(record, callbacks))
    state = _conclude(record, outcome, client, callbacks)
    if state is State.READY and manifest.options.auto_confirm:
        return _auto_confirm(manifest, record, client, callbacks, posts)
    return Outcome(manifest.path, state, record, True, _summary(record), posts)


def _existing_submission(files: Sequence[FileLike], known: dict[str, KnownFile]) -> str | None:
    """The results page of the one submission that already holds every file (by sha1), or
    None when the server knows none of them; anything in between cannot be delivered as it
    is, so it raises DuplicateFileError."""
    found = {f.name: known[f.sha1] for f in files if f.sha1 in known}
    if not found:
        return None
    pages = {k.results_url for k in found.values()}
    if len(found) == len(files) and len(pages) == 1 and None not in pages:
        return pages.pop()
    raise DuplicateFileError(
        "CRDS already has these files; nothing was uploaded: "
        + "; ".join(f"{name} is identical to {k.name} ({k.state or 'state unknown'}, sha1 "
                    f"{sha1})" for name, k, sha1 in
                    ((f.name, found[f.name], f.sha1) for f in files if f.name in found))
        + ("" if len(found) == len(files) else
           f"; {len(files) - len(found)} other file(s) of the delivery are new"))


class UserBusy(LockConflict):
    """Another session of the same CRDS user is delivering (another checkout or machine)."""

    exit_code = 3


def _check_lock(client: CrdsClient, instrument: str, connection: Connection,
                callbacks: Callbacks) -> None:
    """Look at the user's instrument lock before logging in, as the crds client does: logging
    in would end another session of this user, and with it a delivery under way there.

    This user holding another instrument's lock: a delivery for it may be waiting for
    confirmation; refuse. Holding this instrument's lock: another checkout or machine is
    delivering as this user now; refuse with exit 3, or wait with --wait, unless that lock
    is the orphan of a run that died on this machine (connection.orphaned_login)."""
    announced = False
    while True:
        status = client.lock_status()
        name = str(status.get("name") or "")
        held = (name and not status.get("is_expired") and status.get("user") == client.username
                and status.get("type", "instrument") == "instrument")
        if not held:
            return
        remaining = status.get("time_remaining", "?")
        if name != instrument.lower():
            raise LockConflict(
                f"{client.username} holds the lock of instrument '{name}' on "
                f"{client.base_url} (time remaining {remaining}): a delivery for {name} may "
                "be waiting for confirmation. Confirm or cancel it first (crds-deliver confirm "
                "/ cancel), or log out on the server's web page")
        if connection.orphaned_login:
            callbacks.say(f"the server's lock of {name} for {client.username} was left by a "
                          "run that died on this machine; taking it over")
            return
        who = (f"{client.username} already holds the lock of instrument '{name}' on "
               f"{client.base_url} (since {status.get('created_on', '?')}, time remaining "
               f"{remaining}): another checkout or machine is delivering as this user")
        if not connection.wait_for_user:
            raise UserBusy(f"{who}. Use --wait to wait for it; if nothing is running, log out "
                           "on the server's web page or let the lock expire")
        if not announced:
            callbacks.say(f"{who}; waiting for it to finish")
            announced = True
        time.sleep(connection.poll_seconds)


def _prepare(manifest: Any, files: Sequence[FileLike], client: CrdsClient,
             callbacks: Callbacks, uploaded: list[str]) -> tuple[dict[str, int], str, str]:
    """The steps before the post, all safe to redo: fill the ingest area, open the progress
    channel, fetch the form's CSRF token. Returns (posts per file, channel key, token)."""
    posts = _fill_ingest(manifest, files, client, callbacks, uploaded)
    return posts, client.open_channel(), client.submission_token()


def _fill_ingest(manifest: Any, files: Sequence[FileLike], client: CrdsClient,
                 callbacks: Callbacks, uploaded: list[str]) -> dict[str, int]:
    """Make the ingest area hold exactly our files: wipe (or keep the right-sized ones),
    refuse strays, upload, then verify names and sizes."""
    wanted = {f.name: f for f in files}
    keep = manifest.options.ingest == "keep"
    present = client.list_ingest()
    kept: set[str] = set()
    removed = False
    for entry in present:
        if keep and entry.name in wanted and entry.size == wanted[entry.name].size:
            kept.add(entry.name)
            continue
        if keep and entry.name not in wanted:
            continue  # reported as a stray below: keep means the user wants to look first
        callbacks.say(f"removing {entry.name} from the server's ingest area")
        client.delete_ingest(entry)
        removed = True
    # listed again only to see the removals done; a file that arrives later from elsewhere is
    # caught by the check after the upload
    strays = [e.name for e in (client.list_ingest() if removed else present)
              if e.name not in wanted]
    if strays:
        raise IngestError("the server's ingest area holds files that are not part of this "
                          f"delivery: {', '.join(strays)}; the server would submit them too. "
                          "Remove them (options.ingest: wipe does) and apply again")
    posts: dict[str, int] = {}
    for file in files:
        if file.name in kept:
            callbacks.say(f"{file.name} is already on the server with the right size; kept")
            continue
        uploaded.append(file.name)
        sent = client.upload(Path(file.path), file.name, callbacks.upload)
        if sent.sha1 != file.sha1:
            raise FileChanged(
                f"{file.path} changed after it was planned: the plan's sha1 is {file.sha1}, "
                f"the {sent.size} bytes just uploaded have sha1 {sent.sha1}. Nothing was "
                "submitted and the uploads were taken back; run `crds-deliver plan` and "
                "apply again once the file is final")
        posts[file.name] = sent.posts
    listing = {e.name: e.size for e in client.list_ingest()}
    wrong = [f"{name} (server has {listing.get(name, 'nothing')}, local {f.size} bytes)"
             for name, f in wanted.items() if listing.get(name) != f.size]
    extra = sorted(set(listing) - set(wanted))
    if wrong or extra:
        raise IngestError("after uploading, the ingest area does not match the delivery: "
                          + "; ".join(wrong + [f"unexpected {e}" for e in extra]))
    return posts


def _clean_ingest(client: CrdsClient, uploaded: list[str]) -> None:
    """Best effort: take back what this run uploaded, so a failure leaves nothing behind."""
    try:
        for entry in client.list_ingest():
            if entry.name in uploaded:
                client.delete_ingest(entry)
    except CrdsError:
        pass


def _recorder(record: Record, callbacks: Callbacks) -> Callable[[Message], None]:
    """Store each progress message in the record; the first one proves the server took the
    post, so it moves the record to SUBMITTED.

    The record is written at most every SAVE_INTERVAL seconds while messages stream in (and
    at once for `done`): rewriting it for every message made a 200-file submission spend
    seconds dumping YAML. Nothing is lost by waiting: the server keeps the channel, and a
    resumed run pulls it again from the last message the record holds."""
    seen = {m.get("id") for m in record.data.get("messages", []) if m.get("id") is not None}
    saved = [time.monotonic()]

    def on_message(message: Message) -> None:
        if message.id is not None and message.id in seen:
            return
        seen.add(message.id)
        record.data.setdefault("messages", []).append(
            {"id": message.id, "time": message.time, "type": message.type, "text": message.text})
        if record.state is State.SUBMITTING:
            record.transition(State.SUBMITTED)
            saved[0] = time.monotonic()
        elif message.type == "done" or time.monotonic() - saved[0] >= SAVE_INTERVAL:
            record.save()
            saved[0] = time.monotonic()
        if callbacks.message:
            callbacks.message(message)

    return on_message


def _conclude(record: Record, outcome: SubmitOutcome, client: CrdsClient,
              callbacks: Callbacks) -> State:
    """Turn how the post ended into READY / BAD_FILES / FAILED, reading the results page."""
    if outcome.post_lost and not outcome.results_url:
        raise HumanActionNeeded(
            f"{record.path}: the submission post got no answer ({outcome.post_lost}) and the "
            f"server has reported no result yet; the record stays {record.state.value}. Run "
            "`crds-deliver apply` again later: it resumes from the progress channel and never "
            "posts again")
    if outcome.error and not outcome.results_url:
        record.transition(State.FAILED, error=outcome.error)
        return State.FAILED
    if not outcome.results_url:
        raise HumanActionNeeded(f"{record.path}: the server gave no results page; the record "
                                f"stays {record.state.value}; re-run apply to resume")
    submission = {"channel": None, "results_id": outcome.results_id,
                  "results_url": outcome.results_url}
    if record.state is State.SUBMITTING:
        record.transition(State.SUBMITTED, submission=submission)
    else:
        record.update(submission=submission)
    if outcome.done_status not in (None, 0):
        record.transition(State.FAILED, error=f"the server reported status "
                                              f"{outcome.done_status} (1 = failed, 3 = cancelled)")
        return State.FAILED
    callbacks.say(f"reading the results page {outcome.results_url}")
    return _read_results(record, client)


def _read_results(record: Record, client: CrdsClient) -> State:
    """Record what the results page says; a page that already shows CONFIRMED or CANCELLED
    (finished on the web, or by a run that died before writing) is recorded so."""
    url = record.data["submission"]["results_url"] or client.results_page_url(record.results_id)
    page = _results_page(record, client, url)
    state = _state_of(page)
    if state is None:
        raise HumanActionNeeded(f"{record.path}: the results page {url} does not say whether "
                                "the files passed; review it on the web, then confirm or cancel "
                                "there")
    _check_own(record, client, page, url)
    _apply_names(record, page)
    fields: dict[str, Any] = {"submission": {"server_status": page.status or state.value}}
    if state in (State.CONFIRMED, State.CANCELLED):
        record.transition(State.READY, **fields)
    elif state is not State.READY:
        fields["error"] = page.error or f"the server's status is {page.status}"
    record.transition(state, **fields)
    return state


def _results_page(record: Record, client: CrdsClient, url: str) -> ResultsPage:
    names = [f["name"] for f in record.data["files"]]
    try:
        return client.results(url, names)
    except CrdsError as exc:
        raise HumanActionNeeded(f"{record.path}: cannot read the results page of submission "
                                f"{record.results_id} on {client.base_url} ({exc}); was the "
                                f"record made on this server ({record.data['server']['url']})?"
                                ) from None


def _check_own(record: Record, client: CrdsClient, page: ResultsPage, url: str) -> None:
    """Refuse a results page that is not this record's submission: it must list every file
    of the record, and each file the server holds under its official name must have the
    record's sha1 (the sandbox lists pending files; a server that does not cannot be asked,
    and the names must then do). A record copied from another manifest, or pointing at a
    submission it did not make, is refused before anything is confirmed, cancelled or
    recorded."""
    names = [f["name"] for f in record.data["files"]]
    missing = [n for n in names if n not in page.file_names]
    if missing:
        raise RecordMismatch(f"{record.path}: the results page {url} does not list "
                             f"{', '.join(missing)}: the record does not belong to that "
                             "submission; nothing was confirmed, cancelled or recorded")
    if _state_of(page) not in (State.READY, State.CONFIRMED):
        return  # rejected files are never staged: their names may be another file's
    official = {f["name"]: page.file_names[f["name"]] for f in record.data["files"]}
    sha1s = client.file_sha1s(list(official.values()))
    wrong = [f"{f['name']} (server {official[f['name']]}: "
             f"{sha1s.get(official[f['name']]) or 'unknown'}, record {f['sha1']})"
             for f in record.data["files"]
             if sha1s.get(official[f["name"]], f["sha1"]) != f["sha1"]]
    if wrong:
        raise RecordMismatch(f"{record.path}: the server's files of submission "
                             f"{record.results_id} are not this record's files: "
                             f"{'; '.join(wrong)}; nothing was confirmed, cancelled or recorded")


def _state_of(page: ResultsPage) -> State | None:
    """READY only when the page says so (the sandbox marks it) or offers confirm with no file
    in ERRORS; BAD FILES, FAIL, CONFIRMED and CANCELLED as the page says."""
    status = (page.status or "").upper()
    if status in ("CONFIRMED", "CANCELLED"):
        return State(status)
    if status == "BAD FILES" or "ERRORS" in page.file_status.values():
        return State.BAD_FILES
    if status == "FAIL" or (page.error and not status):
        return State.FAILED
    if status == "READY" or (not status and page.confirm_action):
        return State.READY
    return None


def _apply_names(record: Record, page: ResultsPage) -> None:
    file_map = record.data.setdefault("file_map", {})
    file_map.setdefault("references", {}).update(page.file_names)
    file_map.setdefault("mappings", {}).update(page.rmap_diffs)
    for entry in record.data["files"]:
        entry["official_name"] = page.file_names.get(entry["name"], entry.get("official_name"))
        entry["status"] = page.file_status.get(entry["name"], entry.get("status"))


# A summary names at most this many renames; a delivery of hundreds of files would otherwise
# end on one line of tens of kilobytes. The record (and Outcome.file_map) keeps every one.
SUMMARY_RENAMES = 5


def _summary(record: Record) -> str:
    state = record.state.value if record.state else "?"
    names = [f"{f['name']} -> {f['official_name']}" for f in record.data["files"]
             if f.get("official_name")]
    text = f"{state}" + (f" (results {record.results_id})" if record.results_id else "")
    if len(names) > SUMMARY_RENAMES:
        shown = SUMMARY_RENAMES - 1
        names = [*names[:shown], f"and {len(names) - shown} more ({record.path.name} lists all)"]
    if names:
        text += ": " + ", ".join(names)
    if record.data.get("error"):
        text += f"; {record.data['error']}"
    return text


# ----- resume, confirm, cancel -------------------------------------------------------------

def resume(manifest: Any, record: Record, connection: Connection,
           callbacks: Callbacks | None = None) -> Outcome:
    """Carry an unfinished delivery on from its record, without posting anything again."""
    callbacks = callbacks or Callbacks()
    before = record.state
    client = _client(connection, manifest.project, callbacks)
    try:
        callbacks.say(f"resuming from {record.path.name} (state {record.state.value})")
        if record.state in (State.SUBMITTING, State.SUBMITTED) and not record.results_id:
            outcome = _recorded_done(record) or _follow_channel(record, client, callbacks)
            _conclude(record, outcome, client, callbacks)
        elif record.state is State.SUBMITTED:
            _read_results(record, client)
        if connection.orphaned_login:  # only now: the dead run's post may still be coming
            _release_orphaned_lock(client, manifest.instrument, callbacks)
        if record.state is State.READY and manifest.options.auto_confirm:
            return _auto_confirm(manifest, record, client, callbacks, {})
        return Outcome(manifest.path, record.state, record, record.state is not before,
                       _summary(record))
    finally:
        client.close()


_DONE_TEXT = re.compile(r"^done: status (-?\d+), (\S+)")


def _release_orphaned_lock(client: CrdsClient, instrument: str, callbacks: Callbacks) -> None:
    """A run that died here kept the server's instrument lock in a session nobody can log out
    of any more; resuming needs no login, so without this the lock would refuse the next
    delivery for hours. Logging in takes the lock over, logging out releases it."""
    status = client.lock_status()
    if (status.get("user") == client.username and not status.get("is_expired")
            and str(status.get("name") or "") == instrument.lower()):
        callbacks.say(f"releasing the lock of {instrument} that the dead run left on the server")
        client.login(instrument)
        client.logout()


def _recorded_done(record: Record) -> SubmitOutcome | None:
    """The `done` message an earlier run stored before it died (it may have died right after
    printing it): the channel holds nothing newer, so following it again would wait in vain."""
    for message in reversed(record.data.get("messages") or []):
        found = _DONE_TEXT.match(str(message.get("text", ""))) \
            if message.get("type") == "done" else None
        if found:
            return SubmitOutcome(done_status=int(found.group(1)), results_url=found.group(2))
    return None


class NeverPosted(HumanActionNeeded):
    """A SUBMITTING record whose form, by every sign the server gives, never reached it."""


def _follow_channel(record: Record, client: CrdsClient, callbacks: Callbacks) -> SubmitOutcome:
    """Carry on from the progress channel; when it is silent, ask the server whether it holds
    the record's files (a submission it knows by them is followed instead)."""
    key = (record.data.get("submission") or {}).get("channel")
    since = max([int(m["id"]) for m in record.data.get("messages", []) if m.get("id")] or [0])
    if record.state is State.SUBMITTING:
        found = _first_trace(record, client, key, callbacks)
        if isinstance(found, SubmitOutcome):
            return found
    if not key:
        raise HumanActionNeeded(f"{record.path}: no progress channel recorded")
    callbacks.say("following the server's progress channel")
    outcome = client.follow(key, since, on_message=_recorder(record, callbacks))
    if outcome.post_lost and not outcome.results_url:
        holding = _submission_of(record, client)
        if holding:
            callbacks.say(f"the channel is quiet, but the server holds these files in "
                          f"submission {results_id_of(holding)}: following it")
            return SubmitOutcome(outcome.messages, results_url=holding)
    return outcome


def _first_trace(record: Record, client: CrdsClient, key: str | None,
                 callbacks: Callbacks) -> SubmitOutcome | None:
    """For a SUBMITTING record: wait up to `Timeouts.quiet` seconds for a sign that the form
    reached the server: a message on the channel (None: follow it) or the record's files in a
    submission (its outcome). No sign at all: the run died before the post left, so
    NeverPosted is raised and the delivery may start over."""
    quiet = client.http.timeouts.quiet
    deadline = time.monotonic() + quiet
    announced = False
    while True:
        try:
            if key and client.pull(key, 0):
                return None
        except CrdsError:
            pass
        holding = _submission_of(record, client)
        if holding:
            callbacks.say(f"the server holds these files in submission "
                          f"{results_id_of(holding)}: following it")
            return SubmitOutcome(results_url=holding)
        if time.monotonic() > deadline:
            raise NeverPosted(
                f"{record.path} says SUBMITTING, but after {quiet:g} s the server shows no "
                "trace of the form: no progress message and none of the files. The run that "
                "wrote the record died before the post reached the server")
        if not announced:
            callbacks.say(f"no trace of the submission on the server yet; watching for up to "
                          f"{quiet:g} s")
            announced = True
        time.sleep(client.poll_seconds)


def _submission_of(record: Record, client: CrdsClient) -> str | None:
    """The results page of the one submission holding every file of the record, if any."""
    files = [DeliveryFile(Path(f["path"]), f["name"], int(f["size"]), f["sha1"], f["sha256"])
             for f in record.data["files"]]
    try:
        return _existing_submission(files, client.known_files())
    except DuplicateFileError:
        return None


def _auto_confirm(manifest: Any, record: Record, client: CrdsClient, callbacks: Callbacks,
                  posts: dict[str, int]) -> Outcome:
    """Confirm when the server reported no errors; cancel otherwise."""
    errors = [m for m in record.data.get("messages", [])
              if m.get("type") == "error" or str(m.get("text", "")).startswith("ERROR")]
    statuses = [f.get("status") for f in record.data["files"]]
    button = "cancel" if errors or "ERRORS" in statuses else "confirm"
    callbacks.say(f"auto_confirm: {button} ({len(errors)} error message(s) from the server)")
    _finish(manifest, record, client, button, callbacks)
    return Outcome(manifest.path, record.state, record, True, _summary(record), posts)


def _finish(manifest: Any, record: Record, client: CrdsClient, button: str,
            callbacks: Callbacks) -> None:
    names = [f["name"] for f in record.data["files"]]
    url = record.data["submission"].get("results_url") or \
        client.results_page_url(record.results_id)
    current = _results_page(record, client, url)
    _check_own(record, client, current, url)
    if current.status in ("CONFIRMED", "CANCELLED"):
        # An earlier run's confirm/cancel reached the server but died before the record was
        # written: record what the server says instead of posting again (which it refuses).
        callbacks.say(f"the server already shows this delivery {current.status}")
        _apply_names(record, current)
        record.transition(State(current.status), submission={"server_status": current.status})
        return
    if not client.logged_in:
        callbacks.say(f"logging in to {client.base_url} as {client.username}")
        client.login(manifest.instrument)
    page = client.finish(record.results_id, button)
    if button == "cancel":
        record.transition(State.CANCELLED, submission={"server_status": "CANCELLED"})
        return
    confirmed = read_results(page, names)
    _apply_names(record, confirmed)
    old = record.data["context"].get("resolved") or ""
    try:
        pairs, added = client.new_mappings(page, old)
    except CrdsError:
        pairs, added = {}, []
    file_map = record.data["file_map"]
    file_map["mappings"].update(pairs)
    file_map["new_mappings"] = sorted(set(file_map.get("new_mappings", [])) | set(added))
    record.transition(State.CONFIRMED, submission={"server_status": "CONFIRMED"})


def finish(manifest: Any, connection: Connection, button: str,
           callbacks: Callbacks | None = None) -> Outcome:
    """`crds-deliver confirm` / `cancel`: finish a READY delivery on the server."""
    callbacks = callbacks or Callbacks()
    record = Record.load(manifest.path)
    if record is None:
        raise CrdsDeliverError(f"{manifest.path}: never applied (no result record)")
    if record.state is not State.READY:
        raise CrdsDeliverError(f"{manifest.path}: the delivery is {record.state.value}; only a "
                               "READY delivery can be confirmed or cancelled")
    client = _client(connection, manifest.project, callbacks)
    try:
        _finish(manifest, record, client, button, callbacks)
    finally:
        client.close()
    return Outcome(manifest.path, record.state, record, True, _summary(record))
