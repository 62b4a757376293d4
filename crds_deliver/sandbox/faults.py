"""Fault injection: switches a test flips at run time to make the sandbox misbehave on purpose.

A client is only as good as its handling of a server that fails mid-way. Each switch is one-shot
or counted, so a test states exactly which request goes wrong; every method takes the instance
lock, so switches may be flipped while requests are in flight.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

SUBMISSION_OUTCOMES = ("FAIL", "BAD FILES")


@dataclass
class _Counted:
    """A fault that fires for the next `remaining` requests whose path starts with `prefix`."""

    remaining: int
    prefix: str | None
    value: float = 0.0

    def matches(self, path: str) -> bool:
        return self.remaining > 0 and (self.prefix is None or path.startswith(self.prefix))


class Faults:
    """Thread-safe fault switches of one sandbox instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._chunk_countdown = 0
        self._drops: list[_Counted] = []
        self._errors: list[_Counted] = []
        self._delays: list[_Counted] = []
        self._holds: list[tuple[_Counted, threading.Event]] = []
        self._held_locks: dict[str, str] = {}
        self._expire_sessions = False
        self._outcome: str | None = None
        self._omit_csrf = 0
        self._trap: str | None = None

    # --- switches -------------------------------------------------------------------------

    def fail_chunk(self, nth: int = 1) -> None:
        """Answer 500 to the `nth` upload POST from now (1 = the next one); the chunk is lost."""
        with self._lock:
            self._chunk_countdown = nth

    def drop_connection(self, count: int = 1, path_prefix: str | None = None,
                        after_processing: bool = False) -> None:
        """Close the socket without answering the next `count` (matching) requests.

        With `after_processing` the server first does the work (e.g. processes a submission)
        and only the answer is lost: the case a client must recover from without re-posting.
        """
        with self._lock:
            self._drops.append(_Counted(count, path_prefix, 1.0 if after_processing else 0.0))

    def error_status(self, status: int = 500, count: int = 1,
                     path_prefix: str | None = None) -> None:
        """Answer `status` (500, 502, 503...) to the next `count` (matching) requests."""
        with self._lock:
            self._errors.append(_Counted(count, path_prefix, float(status)))

    def delay(self, seconds: float, count: int = 1, path_prefix: str | None = None) -> None:
        """Sleep `seconds` before answering the next `count` (matching) requests."""
        with self._lock:
            self._delays.append(_Counted(count, path_prefix, seconds))

    def hold(self, count: int = 1, path_prefix: str | None = None,
             limit: float = 60.0) -> threading.Event:
        """Keep the next `count` (matching) requests waiting until the returned event is set,
        or `limit` seconds pass. A test releases them once the rest of its scene is in place,
        rather than guessing a delay long enough for a loaded machine."""
        release = threading.Event()
        with self._lock:
            self._holds.append((_Counted(count, path_prefix, limit), release))
        return release

    def hold_lock(self, instrument: str, user: str = "another_user") -> None:
        """Pretend `user` holds the lock of `instrument` until release_lock()."""
        with self._lock:
            self._held_locks[instrument.lower()] = user

    def release_lock(self, instrument: str) -> None:
        with self._lock:
            self._held_locks.pop(instrument.lower(), None)

    def expire_sessions(self) -> None:
        """Forget every login session at the next request (as if they had timed out)."""
        with self._lock:
            self._expire_sessions = True

    def end_next_submission(self, outcome: str) -> None:
        """Make the next submission end in `outcome` ("FAIL" or "BAD FILES")."""
        if outcome not in SUBMISSION_OUTCOMES:
            raise ValueError(f"outcome must be one of {SUBMISSION_OUTCOMES}")
        with self._lock:
            self._outcome = outcome

    def omit_csrf_cookie(self, count: int = 1) -> None:
        """Leave the csrftoken Set-Cookie off the next `count` responses that would carry it."""
        with self._lock:
            self._omit_csrf = count

    def trap_next_submission(self, message: str = "internal server error") -> None:
        """Make the next submission POST a trapped error: error page, no `done` on the channel."""
        with self._lock:
            self._trap = message

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._reset()

    # --- consumers (called by the server) -------------------------------------------------

    def _take(self, items: list[_Counted], path: str) -> _Counted | None:
        for item in items:
            if item.matches(path):
                item.remaining -= 1
                return item
        return None

    def take_drop(self, path: str) -> str | None:
        """None, "before" (drop unanswered, unprocessed) or "after" (processed, unanswered)."""
        with self._lock:
            item = self._take(self._drops, path)
            if item is None:
                return None
            return "after" if item.value else "before"

    def take_error(self, path: str) -> int | None:
        with self._lock:
            item = self._take(self._errors, path)
            return int(item.value) if item else None

    def take_delay(self, path: str) -> float:
        with self._lock:
            item = self._take(self._delays, path)
            return item.value if item else 0.0

    def wait_if_held(self, path: str) -> None:
        """Block this request while a hold() matching it is not released."""
        with self._lock:
            held = next(((item, release) for item, release in self._holds
                         if item.matches(path)), None)
            if held is not None:
                held[0].remaining -= 1
        if held is not None:
            held[1].wait(held[0].value)

    def take_chunk_failure(self) -> bool:
        with self._lock:
            if self._chunk_countdown <= 0:
                return False
            self._chunk_countdown -= 1
            return self._chunk_countdown == 0

    def held_lock(self, instrument: str) -> str | None:
        with self._lock:
            return self._held_locks.get(instrument.lower())

    def held_locks(self) -> dict[str, str]:
        """{instrument: user} of the locks pretended held."""
        with self._lock:
            return dict(self._held_locks)

    def take_session_expiry(self) -> bool:
        with self._lock:
            fired, self._expire_sessions = self._expire_sessions, False
            return fired

    def take_outcome(self) -> str | None:
        with self._lock:
            outcome, self._outcome = self._outcome, None
            return outcome

    def take_csrf_omission(self) -> bool:
        with self._lock:
            if self._omit_csrf <= 0:
                return False
            self._omit_csrf -= 1
            return True

    def take_trap(self) -> str | None:
        with self._lock:
            trap, self._trap = self._trap, None
            return trap
