"""Paired timing for the benchmarks: the machine they run on is shared and its load changes
from one second to the next, so every round runs our case and its baseline back to back and
the figure reported is the median of the per-round ratios (and of each side's times).

Imported by the benchmark scripts of this folder (run them as `python benchmarks/NAME.py`).
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Paired:
    """Medians over the rounds: our seconds, the baseline's, and the ratio ours / baseline."""

    ours: float
    baseline: float
    ratio: float
    rounds: int

    def line(self, workload: str, target: float | None = None) -> str:
        verdict = "" if target is None else (
            f"  (target <= {target:g}: {'met' if self.ratio <= target else 'MISSED'})")
        return (f"{workload}: ours {self.ours:.3f} s, baseline {self.baseline:.3f} s, "
                f"ratio {self.ratio:.2f} (median of {self.rounds} paired rounds){verdict}")


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def run_process(argv: Sequence[str], **kwargs: object) -> Callable[[], object]:
    """A callable running a command to completion (its output discarded, failure raised)."""
    return lambda: subprocess.run(list(argv), check=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, **kwargs)


def paired(ours: Callable[[], object], baseline: Callable[[], object],
           rounds: int, between: Callable[[], object] | None = None) -> Paired:
    """Time both callables `rounds` times, alternating which goes first; `between` (not
    timed) runs after each round, e.g. to undo what ours did."""
    mine: list[float] = []
    theirs: list[float] = []
    for index in range(rounds):
        if index % 2:
            theirs.append(timed(baseline))
            mine.append(timed(ours))
        else:
            mine.append(timed(ours))
            theirs.append(timed(baseline))
        if between is not None:
            between()
    ratios = [m / t for m, t in zip(mine, theirs, strict=True)]
    return Paired(statistics.median(mine), statistics.median(theirs),
                  statistics.median(ratios), rounds)
