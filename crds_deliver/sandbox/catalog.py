"""The sandbox's file catalog and state, in one SQLite database under the data folder.

Holds every official file (references and rules, with sha1sum, size, uploaded_as and state), the
rules' structure, the context history (edit context), submissions with their results, and the
jpoll channels and messages. SQLite because the state must survive restarts and be shared by the
server's threads; one connection guarded by a lock keeps it simple (the sandbox is not a load
test target).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    name TEXT PRIMARY KEY, kind TEXT NOT NULL, instrument TEXT, filekind TEXT,
    sha1sum TEXT, size INTEGER, uploaded_as TEXT, state TEXT NOT NULL,
    submission_id TEXT, created TEXT NOT NULL, change_level TEXT, description TEXT,
    body TEXT);
CREATE TABLE IF NOT EXISTS contexts (
    name TEXT PRIMARY KEY, created TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (id TEXT PRIMARY KEY, submission_id TEXT NOT NULL,
    kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS channels (key TEXT PRIMARY KEY, user TEXT, aborted INTEGER DEFAULT 0,
    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL,
    time TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS files_by_sha1 ON files (sha1sum);
CREATE INDEX IF NOT EXISTS files_by_state ON files (state, kind);
CREATE INDEX IF NOT EXISTS messages_by_channel ON messages (channel, id);
"""

DELIVERED = "delivered"  # confirmed (or seeded) files: part of contexts, known to clients
SUBMITTED = "submitted"  # named and staged by a submission awaiting confirm/cancel
LISTED = "listed"  # named by rules seeded from a cache whose bytes it did not hold


def sha1_of(path: Path) -> str:
    """The sha1 the catalog indexes a file by (the digest the crds client compares)."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


class Catalog:
    """Typed access to the sandbox database; every method is atomic and thread-safe."""

    def __init__(self, db_path: Path, project: str) -> None:
        self.project = project
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(db_path), check_same_thread=False,
                                   isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL syncs at checkpoints instead of at every commit: a submission
        # commits a progress message per step (6 ms each when every one waits for the disk),
        # and a stopped or killed sandbox still keeps every commit (only a power cut could
        # lose the last ones, which a rehearsal server can afford).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing block (re-entrant through the lock; nested calls join the outer one)."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _all(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    # --- meta and contexts ----------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key=?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def edit_context(self) -> str:
        return self.get_meta("edit_context") or ""

    @property
    def operational_context(self) -> str:
        return self.get_meta("operational_context") or ""

    def contexts(self) -> list[dict]:
        """Context history, oldest first: [{name, created, description}]."""
        return [dict(r) for r in self._all("SELECT * FROM contexts ORDER BY created, name")]

    def add_context(self, name: str, description: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO contexts VALUES (?, ?, ?)", (name, now(), description))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('edit_context', ?)", (name,))

    # --- files ----------------------------------------------------------------------------

    def add_file(self, name: str, kind: str, *, instrument: str = "", filekind: str = "",
                 sha1sum: str = "", size: int = 0, uploaded_as: str = "",
                 state: str = DELIVERED, submission_id: str = "", change_level: str = "",
                 description: str = "", body: dict | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (name, kind, instrument, filekind, sha1sum, size, uploaded_as or name, state,
                 submission_id, now(), change_level, description,
                 json.dumps(body) if body is not None else None))

    def update_file(self, name: str, **fields: object) -> None:
        if "body" in fields:
            fields["body"] = json.dumps(fields["body"])
        sets = ", ".join(f"{key}=?" for key in fields)
        with self.transaction() as db:
            db.execute(f"UPDATE files SET {sets} WHERE name=?", (*fields.values(), name))

    def delete_file(self, name: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM files WHERE name=?", (name,))

    def delete_files_of(self, submission_id: str, state: str = SUBMITTED) -> list[str]:
        """Remove the pending files of a submission; returns their names."""
        with self.transaction() as db:
            names = [r["name"] for r in db.execute(
                "SELECT name FROM files WHERE submission_id=? AND state=?",
                (submission_id, state))]
            db.execute("DELETE FROM files WHERE submission_id=? AND state=?",
                       (submission_id, state))
        return names

    def file(self, name: str) -> dict | None:
        row = self._one("SELECT * FROM files WHERE name=?", (name,))
        if row is None:
            return None
        info = dict(row)
        info["body"] = json.loads(info["body"]) if info["body"] else None
        return info

    def delivered(self, name: str) -> dict | None:
        info = self.file(name)
        return info if info and info["state"] == DELIVERED else None

    def all_names(self) -> list[str]:
        """Every name in use, pending ones included (for picking the next serial)."""
        return [r["name"] for r in self._all("SELECT name FROM files")]

    def delivered_files(self, kind: str | None = None) -> list[dict]:
        sql = "SELECT * FROM files WHERE state=?"
        args: tuple = (DELIVERED,)
        if kind:
            sql += " AND kind=?"
            args += (kind,)
        return [dict(r) for r in self._all(sql + " ORDER BY name", args)]

    def find_sha1(self, sha1sum: str) -> str | None:
        """Name of a delivered or pending file with this SHA-1, if any."""
        row = self._one("SELECT name FROM files WHERE sha1sum=? ORDER BY name LIMIT 1",
                        (sha1sum,))
        return row["name"] if row else None

    def mapping_body(self, name: str) -> dict:
        info = self.file(name)
        if info is None or info["kind"] != "mapping":
            raise KeyError(name)
        return info["body"]

    def closure(self, context: str) -> list[str]:
        """Sorted names of a pmap and every imap and rmap it refers to."""
        pmap = self.mapping_body(context)
        names = [context]
        for imap_name in pmap["imaps"].values():
            names.append(imap_name)
            names.extend(self.mapping_body(imap_name)["rmaps"].values())
        return sorted(names)

    def references_of(self, context: str) -> list[str]:
        names = []
        for name in self.closure(context):
            if name.endswith(".rmap"):
                names.extend(entry[2] for entry in self.mapping_body(name)["entries"])
        return sorted(set(names))

    # --- submissions and results ----------------------------------------------------------

    def save_submission(self, sid: str, user: str, state: str, data: dict) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO submissions VALUES (?,?,?,?,?)",
                       (sid, user, state, now(), json.dumps(data)))

    def submission(self, sid: str) -> dict | None:
        row = self._one("SELECT * FROM submissions WHERE id=?", (sid,))
        if row is None:
            return None
        data = json.loads(row["data"])
        data.update(id=row["id"], user=row["user"], state=row["state"])
        return data

    def add_result(self, result_id: str, submission_id: str, kind: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO results VALUES (?,?,?)", (result_id, submission_id, kind))

    def submission_result(self, submission_id: str) -> str | None:
        """The results page id of a submission (not of its confirmation)."""
        row = self._one("SELECT id FROM results WHERE submission_id=? AND kind='submission'",
                        (submission_id,))
        return row["id"] if row else None

    def pending_files(self) -> list[dict]:
        """Files named by a submission that awaits confirm or cancel."""
        return [dict(r) for r in self._all("SELECT * FROM files WHERE state=? ORDER BY name",
                                           (SUBMITTED,))]

    def result(self, result_id: str) -> tuple[str, str] | None:
        """(submission id, kind) of a results page id."""
        row = self._one("SELECT submission_id, kind FROM results WHERE id=?", (result_id,))
        return (row["submission_id"], row["kind"]) if row else None

    # --- jpoll channels -------------------------------------------------------------------

    def open_channel(self, key: str, user: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO channels (key, user, created) VALUES (?,?,?)",
                       (key, user, now()))

    def channel_exists(self, key: str) -> bool:
        return self._one("SELECT key FROM channels WHERE key=?", (key,)) is not None

    def abort_channel(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE channels SET aborted=1 WHERE key=?", (key,))

    def channel_aborted(self, key: str) -> bool:
        row = self._one("SELECT aborted FROM channels WHERE key=?", (key,))
        return bool(row and row["aborted"])

    def push_message(self, key: str, kind: str, data: object) -> int:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO messages (channel, time, type, data) VALUES (?,?,?,?)",
                             (key, now(), kind, json.dumps(data)))
            return int(cur.lastrowid or 0)

    def messages(self, key: str, since_id: int) -> list[dict]:
        rows = self._all("SELECT * FROM messages WHERE channel=? AND id>? ORDER BY id",
                         (key, since_id))
        return [{"channel": r["channel"], "id": r["id"], "time": r["time"], "type": r["type"],
                 "data": json.loads(r["data"])} for r in rows]
