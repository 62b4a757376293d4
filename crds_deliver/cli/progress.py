"""Progress for logs: one line per tenth of a large file, or every 30 s, on stderr.

A CI log shows nothing of a terminal's progress bar, and a 10 GB upload would otherwise print
nothing for many minutes; a line per 10 % (or per 30 s when a tenth takes longer) tells the
reader the job is alive without flooding the log. Files below `min_bytes` print nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Report = Callable[[str, int, int], None]  # (file name, bytes done, total bytes)

STEP = 0.1
INTERVAL_SECONDS = 30.0
MIN_BYTES = 64 * 1024 * 1024


def progress_lines(verb: str, echo: Callable[[str], object], *, min_bytes: int = MIN_BYTES,
                   interval: float = INTERVAL_SECONDS,
                   clock: Callable[[], float] = time.monotonic) -> Report:
    """A progress callback writing `-- <verb> NAME: 40% (N of M bytes)` lines through `echo`."""
    shown: dict[str, tuple[int, float]] = {}  # name -> (last tenth shown, when)

    def report(name: str, done: int, total: int) -> None:
        if total < min_bytes:
            return
        now = clock()
        tenth, when = shown.setdefault(name, (0, now))
        current = min(10, int(done / total / STEP))
        if current > tenth or (done < total and now - when >= interval):
            shown[name] = (current, now)
            echo(f"-- {verb} {name}: {100 * done // total}% ({done} of {total} bytes)")

    return report
