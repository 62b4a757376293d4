"""Login sessions, CSRF tokens and instrument locks, as the Django server keeps them.

Sessions and locks live in memory: a restart of the sandbox logs everybody out, like a server
whose session store was flushed; files, catalog and results are on disk and survive.
Locks: one instrument per user, exclusive, expiring after `lock_ttl` seconds without activity.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from crds_deliver.sandbox.faults import Faults


def new_csrf_token() -> str:
    """64 characters, like Django's csrftoken cookie."""
    return secrets.token_hex(32)


def csrf_ok(cookie: str | None, posted: str | None) -> bool:
    # Compared as bytes: compare_digest raises on str with characters beyond ASCII.
    return bool(cookie) and bool(posted) and hmac.compare_digest(
        (cookie or "").encode(), (posted or "").encode())


@dataclass
class Session:
    key: str
    user: str
    instrument: str = "none"  # the locked instrument, or "none"
    jpoll_key: str | None = None
    last_seen: float = field(default_factory=time.monotonic)


@dataclass
class Lock:
    instrument: str
    user: str
    created: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.monotonic)


class LockHeld(Exception):
    """Another user holds the instrument; the message is the real server's wording."""

    def __init__(self, owner: str, instrument: str) -> None:
        super().__init__(f"User '{owner}' has already locked instrument '{instrument}'.")


class SessionStore:
    """Sessions by cookie value and locks by instrument; thread-safe."""

    def __init__(self, ttl: float, faults: Faults) -> None:
        self.ttl = ttl
        self.faults = faults
        self._lock = threading.RLock()
        self._sessions: dict[str, Session] = {}
        self._locks: dict[str, Lock] = {}

    # --- sessions -------------------------------------------------------------------------

    def get(self, key: str | None) -> Session | None:
        """The live session of a cookie value (refreshing it and its lock), or None."""
        with self._lock:
            if self.faults.take_session_expiry():
                self._sessions.clear()
            session = self._sessions.get(key or "")
            if session is None:
                return None
            now = time.monotonic()
            if now - session.last_seen > self.ttl:
                self._end(session)
                return None
            session.last_seen = now
            lock = self._locks.get(session.instrument)
            if lock and lock.user == session.user:
                lock.last_used = now
            return session

    def login(self, user: str, instrument: str) -> Session:
        """A new session for `user`, holding the lock of `instrument` (unless "none").

        Raises LockHeld when another user holds it. A user's other lock is released first.
        """
        with self._lock:
            self._expire_locks()
            if instrument != "none":
                owner = self.owner(instrument)
                if owner and owner != user:
                    raise LockHeld(owner, instrument)
            for lock in list(self._locks.values()):
                if lock.user == user and lock.instrument != instrument:
                    del self._locks[lock.instrument]
            if instrument != "none" and instrument not in self._locks:
                self._locks[instrument] = Lock(instrument, user)
            session = Session(secrets.token_hex(16), user, instrument)
            self._sessions[session.key] = session
            return session

    def logout(self, session: Session) -> None:
        with self._lock:
            self._end(session)

    def _end(self, session: Session) -> None:
        self._sessions.pop(session.key, None)
        lock = self._locks.get(session.instrument)
        if lock and lock.user == session.user:
            del self._locks[session.instrument]

    def holds_lock(self, session: Session) -> bool:
        with self._lock:
            self._expire_locks()
            lock = self._locks.get(session.instrument)
            return bool(lock and lock.user == session.user
                        and not self.faults.held_lock(session.instrument))

    # --- locks ----------------------------------------------------------------------------

    def owner(self, instrument: str) -> str | None:
        with self._lock:
            held = self.faults.held_lock(instrument)
            if held:
                return held
            self._expire_locks()
            lock = self._locks.get(instrument)
            return lock.user if lock else None

    def _expire_locks(self) -> None:
        now = time.monotonic()
        for name, lock in list(self._locks.items()):
            if now - lock.last_used > self.ttl:
                del self._locks[name]

    def lock_status(self, user: str) -> dict:
        """The JSON of /lock_status/<user>/ (shapes of the real server)."""
        with self._lock:
            self._expire_locks()
            pretended = [Lock(instrument, owner) for instrument, owner
                         in self.faults.held_locks().items()]
            for lock in [*pretended, *self._locks.values()]:
                if lock.user == user:
                    remaining = max(0, int(self.ttl - (time.monotonic() - lock.last_used)))
                    hours, rest = divmod(remaining, 3600)
                    return {"name": lock.instrument, "user": user, "type": "instrument",
                            "status": "ok", "is_expired": False,
                            "created_on": time.strftime("%Y-%m-%d %H:%M:%S",
                                                        time.localtime(lock.created)),
                            "time_remaining": f"{hours}:{rest // 60:02d}:{rest % 60:02d}"}
            return {"name": "", "user": user, "type": "instrument", "status": "error",
                    "exception": "no lock found."}
