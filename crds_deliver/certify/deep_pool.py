"""crds's certifier for many files at once: worker processes of our own, fed by plan's threads.

crds's certifier holds the GIL (Python through and through), so plan's threads cannot share its
work: from POOL_MIN_FILES files on it runs in worker processes, one per core up to
MAX_WORKER_PROCESSES, each `python -m crds_deliver.certify.deep_worker` (deep_worker.py).

Why not multiprocessing: a spawned (or fork-server) child runs the parent's main script again
to rebuild its namespace, so a user's script that called our Python API without an
`if __name__ == "__main__":` guard ran once more in every worker (its prints, its files, its
deliveries), and each of those workers then died trying to start workers of its own. Forking
this process instead would copy a lock held by one of plan's threads. A plain interpreter that
imports one module of ours has neither problem, and it starts at once, importing crds while
plan hashes the files.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from crds_deliver.certify.deep import DeepCheck, deep_findings, preload
from crds_deliver.certify.extras import deep_checks_available
from crds_deliver.certify.findings import Finding

# Each worker imports crds and the project's datamodels (1.5 s of CPU for HST, several for
# JWST), so fewer files would not repay the start.
POOL_MIN_FILES = 16
# Each worker holds crds and the datamodels in memory (a few hundred MB with JWST's): a few
# workers, however many cores, keep a big machine's plan from taking gigabytes.
MAX_WORKER_PROCESSES = 4


class WorkerDied(RuntimeError):
    """A worker process ended or answered something that is not an answer."""


class _Worker:
    """One worker process and its two pipes; used by one thread at a time."""

    def __init__(self, project: str) -> None:
        # The worker imports crds_deliver from where this process did, not from its own
        # current folder or default path.
        path = os.pathsep.join(entry for entry in sys.path if entry)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crds_deliver.certify.deep_worker", project],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, encoding="utf-8", env={**os.environ, "PYTHONPATH": path})

    def check(self, path: Path, name: str) -> list[Finding]:
        assert self.process.stdin and self.process.stdout
        try:
            self.process.stdin.write(json.dumps({"path": str(path.resolve()), "name": name})
                                     + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
            return [Finding.from_dict(item) for item in json.loads(answer)]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise WorkerDied(f"deep-check worker {self.process.pid}: {exc!r}") from exc

    def close(self) -> None:
        """End the worker: its input closed, it exits; one that does not is killed."""
        with contextlib.suppress(OSError):
            if self.process.stdin:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


class WorkerPool:
    """`deep_findings` for one project, answered by the first idle worker. When a worker dies
    (crds crashing the interpreter, memory), this process checks that file and every later
    one itself: same verdicts, one core."""

    def __init__(self, project: str, count: int) -> None:
        """Start `count` workers; raises OSError (none left running) when one cannot start."""
        self.project = project
        self.workers: list[_Worker] = []
        try:
            for _ in range(count):
                self.workers.append(_Worker(project))
        except OSError:
            self.close()
            raise
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for worker in self.workers:
            self._idle.put(worker)
        self._broken = threading.Event()

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self.workers]

    def __call__(self, path: Path, name: str, project: str) -> list[Finding]:
        if project == self.project and not self._broken.is_set():
            worker = self._idle.get()
            try:
                if not self._broken.is_set():
                    return worker.check(path, name)
            except WorkerDied:
                self._broken.set()
            finally:
                self._idle.put(worker)
        return deep_findings(path, name, project)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


@contextlib.contextmanager
def deep_checker(project: str, files: int) -> Iterator[DeepCheck]:
    """crds's certifier for a plan of `files` files: `deep_findings` in this process (its
    import started in the background, unless the project's extra is missing or there is no
    file, when it will not be called), or for `files` >= POOL_MIN_FILES on a machine with
    several cores, a WorkerPool."""
    if not files or not deep_checks_available(project):
        yield deep_findings
        return
    cores = os.cpu_count() or 1
    pool = None
    if files >= POOL_MIN_FILES and cores >= 2:
        with contextlib.suppress(OSError):  # no interpreter to start (embedded Python)
            pool = WorkerPool(project, min(cores, MAX_WORKER_PROCESSES))
    if pool is None:
        preload(project)
        yield deep_findings
        return
    try:
        yield pool
    finally:
        pool.close()
