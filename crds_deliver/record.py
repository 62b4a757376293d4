"""The result record: the state of one delivery, kept next to its manifest.

`manifests/…/miri-darks.yaml` gets `manifests/…/miri-darks.result.yaml`. The record is a
write-ahead log of the delivery: it is rewritten atomically (temp file in the same folder,
fsync, os.replace) at every transition, and a transition that a crash could otherwise lose
(SUBMITTING, before the form is posted) is written *before* the step it announces. A re-run
reads it and resumes instead of posting the same delivery twice.

    SUBMITTING ─▶ SUBMITTED ─▶ READY ─▶ CONFIRMED | CANCELLED
                      ├──▶ BAD_FILES
                      └──▶ FAILED

It never holds a token or a password.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from datetime import datetime, timezone
from enum import Enum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from crds_deliver.bounded import NotReadable, read_bounded
from crds_deliver.errors import CrdsDeliverError
from crds_deliver.fast_yaml import DUMPER, LOADER
from crds_deliver.problems import Problem, Severity

RECORD_FORMAT = "crds-deliver-result/1"
# Records hold every progress message of a delivery; a few MB is far more than any needs.
MAX_RECORD_BYTES = 8_000_000


class State(str, Enum):
    """Delivery states, in the order a delivery passes through them."""

    SUBMITTING = "SUBMITTING"
    SUBMITTED = "SUBMITTED"
    READY = "READY"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    BAD_FILES = "BAD_FILES"
    FAILED = "FAILED"


TERMINAL_STATES = frozenset({State.CONFIRMED, State.CANCELLED, State.BAD_FILES, State.FAILED})

# Which states may follow which; anything else is a bug and raises.
TRANSITIONS: dict[State | None, frozenset[State]] = {
    None: frozenset({State.SUBMITTING}),
    State.SUBMITTING: frozenset({State.SUBMITTED, State.FAILED}),
    State.SUBMITTED: frozenset({State.READY, State.BAD_FILES, State.FAILED}),
    State.READY: frozenset({State.CONFIRMED, State.CANCELLED}),
}


class RecordError(CrdsDeliverError):
    """A result record is unreadable, invalid, or asked for an impossible transition."""


def record_path(manifest_path: Path) -> Path:
    """Where the result record of a manifest lives: same folder, `.result.yaml` suffix."""
    return manifest_path.with_name(manifest_path.stem + ".result.yaml")


def now() -> str:
    """UTC time as ISO 8601 with seconds, the one timestamp format of records."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_record(manifest_path: Path) -> dict[str, Any] | None:
    """The record of a manifest as plain data, or None when the manifest was never applied.

    A record decides whether files are posted again, so it is read like any untrusted input:
    a regular file of bounded size, valid YAML, and valid against result.schema.json. A
    forged or hand-edited record (a bare `state: CONFIRMED`, an injected key) is a located
    RecordError, never trusted."""
    path = record_path(manifest_path)
    if not os.path.lexists(path):
        return None
    return read_record(path, manifest_path)


def read_record(path: Path, manifest_path: Path | None = None) -> dict[str, Any]:
    """The record at `path` as plain data, read as load_record reads it (bounded, valid YAML,
    valid against the schema), else a RecordError that says how to get out of it (with the
    `forget` command when the manifest is known)."""
    way_out = (f"run `crds-deliver forget {manifest_path}` to drop it" if manifest_path
               else "drop it")
    try:
        data = yaml.load(read_bounded(path, MAX_RECORD_BYTES, "result record").decode("utf-8"),
                         Loader=LOADER)
    except NotReadable as exc:
        raise RecordError(str(exc)) from None
    except (OSError, ValueError, yaml.YAMLError, RecursionError) as exc:
        # ValueError covers bytes that are not UTF-8; RecursionError absurd nesting.
        raise RecordError(f"{path}: unreadable result record ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise RecordError(f"{path}: a result record must be a mapping")
    errors = schema_errors(data)
    if errors:
        raise RecordError(f"{path}: not a valid result record (edited by hand, or not written "
                          f"by crds-deliver): {'; '.join(errors[:3])}"
                          + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")
                          + f". Restore it from git, or {way_out}")
    return data


def _state_of(path: Path, data: dict[str, Any]) -> State:
    value = data.get("state")
    try:
        return State(value) if isinstance(value, str) else State(None)
    except ValueError:
        raise RecordError(f"{path}: no valid 'state' in the result record") from None


def read_state(manifest_path: Path) -> State | None:
    """The state recorded for a manifest's delivery, or None when it was never applied.

    A record whose state is unreadable counts as not applied only if it does not exist: an
    unreadable one raises RecordError, because guessing could deliver the same files twice.
    """
    data = load_record(manifest_path)
    return None if data is None else _state_of(record_path(manifest_path), data)


@lru_cache(maxsize=1)
def result_schema() -> dict:
    """The bundled result-record schema."""
    text = resources.files("crds_deliver").joinpath("schemas/result.schema.json").read_text()
    return json.loads(text)


def schema_errors(data: dict[str, Any]) -> list[str]:
    """Every way `data` breaks the result schema, as `field: message` lines (empty: valid).
    jsonschema is imported here, not with the module: every command imports this module,
    and only the commands that read records need it (60 ms of `plan`'s start-up)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(result_schema())
    return [f"{'.'.join(str(p) for p in err.absolute_path) or '(top level)'}: {err.message}"
            for err in validator.iter_errors(data)]


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so a reader (or a crash) sees the old or the new file, never
    half of one: temp file in the same folder, fsync, rename, fsync of the folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class Record:
    """A delivery's record, bound to its file: every change of state is saved at once.

    `data` is the plain mapping written as YAML (see schemas/result.schema.json).
    """

    def __init__(self, manifest_path: Path, data: dict[str, Any]) -> None:
        self.manifest_path = manifest_path
        self.path = record_path(manifest_path)
        self.data = data

    @classmethod
    def load(cls, manifest_path: Path) -> Record | None:
        data = load_record(manifest_path)
        if data is None:
            return None
        _state_of(record_path(manifest_path), data)
        return cls(manifest_path, data)

    @property
    def state(self) -> State | None:
        value = self.data.get("state")
        return State(value) if value else None

    @property
    def results_id(self) -> str | None:
        return (self.data.get("submission") or {}).get("results_id")

    def update(self, **fields: Any) -> None:
        """Merge top-level fields (a dict value is merged one level deep) and save."""
        for key, value in fields.items():
            if isinstance(value, dict) and isinstance(self.data.get(key), dict):
                self.data[key].update(value)
            else:
                self.data[key] = value
        self.save()

    def transition(self, state: State, **fields: Any) -> None:
        """Move to `state` (checked against TRANSITIONS), stamp the time, merge fields, save."""
        current = self.state
        if state not in TRANSITIONS.get(current, frozenset()):
            raise RecordError(f"{self.path}: cannot go from {current.value if current else 'new'}"
                              f" to {state.value}")
        self.data["state"] = state.value
        self.data.setdefault("transitions", []).append({"state": state.value, "time": now()})
        self.update(**fields)

    def save(self) -> None:
        """Write the record; a failed write (disk full, quota, permissions) leaves the previous
        record as it was and raises RecordError, so the CLI reports it instead of a traceback."""
        self.data["updated"] = now()
        text = yaml.dump(self.data, Dumper=DUMPER, sort_keys=False, allow_unicode=True,
                         width=100)
        try:
            write_atomically(self.path, text)
        except OSError as exc:
            raise RecordError(f"{self.path}: could not write the result record "
                              f"({exc.strerror or type(exc).__name__}); the previous record "
                              "on disk is unchanged") from None


def edited_problem(manifest: Any) -> Problem | None:
    """A manifest edited after its delivery started: its digest differs from the record's.

    Editing a delivered manifest cannot change what was delivered; the change would silently
    never reach the server. `manifest` is a crds_deliver.manifest.Manifest (path, digest,
    positions). Returns an error Problem, or None when there is no record or it matches.
    """
    try:
        data = load_record(manifest.path)
    except RecordError as exc:
        return Problem(str(manifest.path), str(exc), 1, 1)
    if data is None:
        return None
    recorded = (data.get("manifest") or {}).get("digest")
    if not recorded or recorded == manifest.digest:
        return None
    state = data.get("state", "?")
    record = record_path(manifest.path).name
    if state in {s.value for s in TERMINAL_STATES}:
        why = (f"edited after its delivery ended in {state} (the digest differs from {record}); "
               "a delivered manifest is history: put a new delivery in a new manifest, or "
               "restore this one")
    else:
        why = (f"edited while its delivery is {state} (the digest differs from {record}); "
               "restore the manifest so the delivery can be resumed, confirmed or cancelled")
    return Problem(str(manifest.path), why, 1, 1, None, Severity.ERROR)


def problems_with_record(loaded: Any) -> list[Problem]:
    """A LoadResult's problems plus, for a valid manifest, `edited_problem` (for validate and
    plan: both must say when a delivered manifest was edited)."""
    problems = list(loaded.problems)
    if loaded.manifest is not None:
        edited = edited_problem(loaded.manifest)
        if edited is not None:
            problems.append(edited)
    return problems


def forget_consequences(manifest_path: Path) -> str:
    """What dropping a manifest's record means, on the server and here, in words (for
    `crds-deliver forget`, which says it before it deletes anything). Works on records that
    cannot be read or are invalid too: those are exactly the ones a person may need to drop."""
    path = record_path(manifest_path)
    try:
        data = load_record(manifest_path)
    except RecordError as exc:
        return (f"{path} cannot be used ({exc}); forgetting it deletes the file. Nothing is "
                "sent to any server: check on the server whether this delivery was submitted")
    if data is None:
        return f"{manifest_path} has no result record; nothing to forget"
    state = data["state"]
    server = data["server"]["url"] + (" (a sandbox)" if data["server"]["sandbox"] else "")
    submission = data.get("submission") or {}
    where = submission.get("results_url") or (
        f"results {submission['results_id']}" if submission.get("results_id") else None)
    text = f"{path} says {state} on {server}. Forgetting deletes the record; nothing is sent to "
    text += "the server. "
    if state in ("READY", "SUBMITTED"):
        text += ("The submission stays pending there until someone confirms or cancels it on "
                 f"its web page ({where or 'the results id is not known'}); the instrument "
                 "stays locked for it. ")
    elif state == "SUBMITTING":
        text += ("The form may or may not have reached the server: check there before "
                 "applying again. ")
    elif state == "CONFIRMED":
        text += "The files stay delivered; applying again would find them on the server. "
    text += "The next `crds-deliver apply` treats the manifest as never applied."
    return text


def forget(manifest_path: Path) -> bool:
    """Delete a manifest's record; False when there was none."""
    path = record_path(manifest_path)
    if not os.path.lexists(path):
        return False
    path.unlink()
    return True
