"""Run one of the crds package's own programs, unchanged, with its fixed pauses shortened.

    python tests/fixtures/crds_short_pauses.py -m crds.submit ARGS...
    python tests/fixtures/crds_short_pauses.py SCRIPT.py ARGS...

crds's submission client sleeps 10 s after it starts posting a form (to let the post leave
before it reads the answer) and its monitor polls the progress channel every 3 s. Those pauses
are sized for a server across the internet; against the sandbox on loopback they were most of
the compat tests' time. Here each is cut to at most PAUSE_CAP_SECONDS: the client still sends
the same requests in the same order, so what the tests check of the conversation is unchanged.

It is run as a file, not a module of the tests package, so that the program sees the
sys.path that `python -m MODULE` or `python SCRIPT` would give it.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
import types

PAUSE_CAP_SECONDS = 0.5


def _short_pauses() -> types.SimpleNamespace:
    """The `time` module as crds's submit and monitor modules use it, with a capped sleep."""
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, PAUSE_CAP_SECONDS))
    clock = types.SimpleNamespace(**{name: getattr(time, name) for name in dir(time)
                                     if not name.startswith("__")})
    clock.sleep = sleep
    return clock


def main(argv: list[str]) -> None:
    import crds.submit.monitor
    import crds.submit.submit

    crds.submit.submit.time = crds.submit.monitor.time = _short_pauses()
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        sys.path[0] = os.getcwd()
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
