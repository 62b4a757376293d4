"""Counters of what the sandbox has been asked, so tests can assert e.g. exactly one submission."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """Thread-safe named counters; missing names read as 0.

    Names in use: requests, logins, logouts, uploads (completed files), chunk_posts,
    submission_posts, confirms, cancels, rpc_calls.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def incr(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] += by

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def __getattr__(self, name: str) -> int:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]
