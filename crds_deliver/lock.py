"""One apply per manifest at a time: a lock file next to the manifest.

Two applies of the same manifest must never both deliver, and two runs of one repository must
not use the server session at the same time (`user_lock_path`). A lock is a file created with
O_EXCL (atomic on local and NFSv3+ file systems) holding pid, host and time. A lock left by a
process that died on this host is recognised (the pid is gone) and taken over with a message;
a lock of a live process, or of another host, makes the second apply fail fast or wait.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from crds_deliver.errors import CrdsDeliverError

UNREADABLE_GRACE_SECONDS = 10.0


class LockedError(CrdsDeliverError):
    """Another apply of the same manifest is running (or left a lock this host cannot judge)."""

    exit_code = 3


class LockWriteError(CrdsDeliverError):
    """The lock file could not be written (disk full, quota, permissions)."""


def lock_path(manifest_path: Path) -> Path:
    """`x.yaml` → `.x.yaml.lock` in the same folder (hidden, so manifest searches skip it)."""
    return manifest_path.with_name(f".{manifest_path.name}.lock")


LOCK_DIR_ENV = "CRDS_DELIVER_LOCK_DIR"


def user_lock_path(server_url: str, username: str) -> Path:
    """One lock per CRDS user and server on this machine, whatever checkout a run starts from.

    The server keeps one ingest area and one instrument lock per *user*: two runs delivering
    as the same user at once (two checkouts, two CI jobs on one runner) would wipe or submit
    each other's files, and one's login ends the other's session. So runs take turns for
    everything that logs in. The folder is CRDS_DELIVER_LOCK_DIR, else
    ~/.cache/crds-deliver/locks."""
    given = os.environ.get(LOCK_DIR_ENV)
    folder = Path(given) if given else Path.home() / ".cache" / "crds-deliver" / "locks"
    parts = urlsplit(server_url)
    where = f"{parts.hostname or 'server'}_{parts.port or ''}{parts.path}".rstrip("/")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{where}-{username}")[:200]
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise LockWriteError(f"{folder}: cannot create the lock folder "
                             f"({exc.strerror or type(exc).__name__}); set {LOCK_DIR_ENV} to a "
                             "writable folder") from None
    return folder / f"{name}.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class DeliveryLock:
    """Context manager holding the lock of one manifest.

    `on_message` receives human-readable notes (stale lock recovered, waiting).
    """

    manifest_path: Path
    wait: bool = False
    poll_seconds: float = 1.0
    timeout_seconds: float | None = None
    on_message: Callable[[str], None] | None = None
    lock_file: Path | None = None  # default: the manifest's own lock_path
    busy: str = "another apply is running"
    # Set by acquire when it took over the lock of a process that died on this host: what
    # that process left on the server (a login, an instrument lock) is nobody's any more.
    recovered: bool = False

    @property
    def path(self) -> Path:
        return self.lock_file or lock_path(self.manifest_path)

    def _note(self, text: str) -> None:
        if self.on_message:
            self.on_message(text)

    def _try_create(self) -> bool:
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "time": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise LockWriteError(f"{self.path}: cannot create the lock file "
                                 f"({exc.strerror or type(exc).__name__}); nothing was done"
                                 ) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            # A full disk: an empty lock left here would hold the next run up, so remove it.
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise LockWriteError(f"{self.path}: cannot write the lock file "
                                 f"({exc.strerror or type(exc).__name__}: is the disk full?); "
                                 "nothing was done") from None
        return True

    def _holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}

    def _is_stale(self, holder: dict) -> bool:
        if not holder:
            # Unreadable: its writer died between creating and filling it (a live holder
            # fills it at once), unless it is brand new and being written right now.
            try:
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                return False
            return age > UNREADABLE_GRACE_SECONDS
        if holder.get("host") != socket.gethostname():
            return False
        pid = holder.get("pid")
        return isinstance(pid, int) and not _pid_alive(pid)

    def acquire(self) -> None:
        """Take the lock, recovering a stale one; raise LockedError (or wait with `wait`)."""
        started = time.monotonic()
        announced = False
        while True:
            if self._try_create():
                return
            holder = self._holder()
            if holder is None:
                continue  # released between our attempt and the read: try again
            if self._is_stale(holder):
                self._note(f"recovered a stale lock {self.path} left by process "
                           f"{holder.get('pid')} (no longer running) since {holder.get('time')}"
                           if holder else f"recovered a stale lock {self.path}: empty or "
                           "unreadable for over "
                           f"{UNREADABLE_GRACE_SECONDS:g} s (its process died while writing it)")
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
                self.recovered = True
                continue
            who = (f"process {holder.get('pid')} on {holder.get('host')} since "
                   f"{holder.get('time')}") if holder else "an unreadable lock file"
            expired = (self.timeout_seconds is not None
                       and time.monotonic() - started > self.timeout_seconds)
            if not self.wait or expired:
                raise LockedError(
                    f"{self.manifest_path}: {self.busy} ({who}); lock file "
                    f"{self.path}. Use --wait to wait for it; if no apply is running, remove "
                    "the lock file by hand")
            if not announced:
                self._note(f"waiting for {who} to finish ({self.busy}; lock {self.path})")
                announced = True
            time.sleep(self.poll_seconds)

    def release(self) -> None:
        """Remove the lock, but only if it is still ours."""
        holder = self._holder()
        if holder and holder.get("pid") == os.getpid() and \
                holder.get("host") == socket.gethostname():
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> DeliveryLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
