"""The two installs a plan benchmark measures (the base install, and the crds extra), and
the measure of one run as a child process.

With the `crds` package installed, plan runs crds's own certifier on every file (the deep
checks), and its import alone costs most of a second of CPU. The issue's targets are read
against both, so the plan benchmarks run plan as a process in either mode: `base` makes the
crds package unimportable before crds-deliver starts, as on a machine without the extra.

Imported by the benchmark scripts of this folder (run them as `python benchmarks/NAME.py`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import NamedTuple

# The plan command, with the crds package made unimportable in mode "base".
_PLAN = ("import sys\nif sys.argv[1] == 'base':\n    sys.modules['crds'] = None\n"
         "sys.argv = ['crds-deliver', 'plan', *sys.argv[2:]]\n"
         "from crds_deliver.cli import main\nmain()\n")

LABELS = {"base": "base install", "deep": "with the crds deep checks"}


def plan_command(mode: str, *arguments: str) -> list[str]:
    """argv of `crds-deliver plan ARGUMENTS` run in `mode` ("base" or "deep")."""
    return [sys.executable, "-c", _PLAN, mode, *arguments]


def available_modes() -> list[str]:
    """["base", "deep"] when the crds package imports here, else ["base"]."""
    found = subprocess.run([sys.executable, "-c", "import crds.certify"],
                           capture_output=True).returncode == 0
    return ["base", "deep"] if found else ["base"]


class ChildRun(NamedTuple):
    """What one child process took: wall seconds, peak RSS in kB, exit status, CPU seconds."""

    seconds: float
    peak_kb: int
    code: int
    cpu: float


def run_child(command: list[str]) -> ChildRun:
    """Run `command` (its output dropped) and measure it with os.wait4."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    return ChildRun(time.perf_counter() - start, usage.ru_maxrss,
                    os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime)
