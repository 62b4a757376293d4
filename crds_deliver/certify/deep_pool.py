"""crds's certifier for many files at once: worker processes of our own, fed by plan's threads.

crds's certifier holds the GIL (Python through and through), so plan's threads cannot share its
work: from POOL_MIN_FILES files on it runs in worker processes, one per core up to
MAX_WORKER_PROCESSES: one `python -m crds_deliver.certify.deep_worker`, which imports crds once
and then forks a copy of itself per further worker (deep_worker.py).

Why not multiprocessing: a spawned (or fork-server) child runs the parent's main script again
to rebuild its namespace, so a user's script that called our Python API without an
`if __name__ == "__main__":` guard ran once more in every worker (its prints, its files, its
deliveries), and each of those workers then died trying to start workers of its own. Forking
this process instead would copy a lock held by one of plan's threads. A plain interpreter that
imports one module of ours has neither problem (and, single-threaded, it may fork itself), and
it starts at once, importing crds while plan hashes the files.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from crds_deliver.certify.deep import DeepCheck, deep_findings, preload
from crds_deliver.certify.extras import deep_checks_available
from crds_deliver.certify.findings import Finding
from crds_deliver.certify.strict_header import PlainHdus

# The workers import crds and the project's datamodels (about 1 s of CPU for HST, several for
# JWST), so fewer files would not repay the start.
POOL_MIN_FILES = 16
# Each worker holds crds and the datamodels in memory (a few hundred MB with JWST's): a few
# workers, however many cores, keep a big machine's plan from taking gigabytes.
MAX_WORKER_PROCESSES = 4


class WorkerDied(RuntimeError):
    """A worker process ended or answered something that is not an answer."""


class _Worker:
    """This side of one worker's two pipes; used by one thread at a time."""

    def __init__(self, requests: int, answers: int) -> None:
        self.requests = open(requests, "w", encoding="utf-8")  # noqa: SIM115  (closed by close)
        self.answers = open(answers, encoding="utf-8")  # noqa: SIM115
        self.pid: int | None = None  # known from the worker's first line

    def ready(self) -> int:
        """The worker's pid, once it has imported crds and can answer (waits for that)."""
        if self.pid is None:
            try:
                self.pid = int(json.loads(self.answers.readline())["pid"])
            except (OSError, ValueError, TypeError, KeyError) as exc:
                raise WorkerDied(f"deep-check worker: no greeting ({exc!r})") from exc
        return self.pid

    def check(self, path: Path, name: str, plain: PlainHdus | None) -> list[Finding]:
        pid = self.ready()
        try:
            # An absolute path, as this process sees it (`resolve` would also follow the
            # links, one system call per folder: a fifth of the exchange's cost per file).
            self.requests.write(json.dumps({"path": os.path.abspath(path), "name": name,
                                            "plain": plain}) + "\n")
            self.requests.flush()
            answer = self.answers.readline()
            return [Finding.from_dict(item) for item in json.loads(answer)]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise WorkerDied(f"deep-check worker {pid}: {exc!r}") from exc

    def end(self) -> None:
        """Close the requests pipe: the worker finishes and exits."""
        with contextlib.suppress(OSError):
            self.requests.close()


class WorkerPool:
    """`deep_findings` for one project, answered by the first idle worker. When a worker dies
    (crds crashing the interpreter, memory), this process checks that file and every later
    one itself: same verdicts, one core.

    The workers are one interpreter, `python -m crds_deliver.certify.deep_worker`, and the
    copies it forks of itself once crds is imported (deep_worker.py); each has a pipe pair of
    its own, made here and passed to the interpreter."""

    def __init__(self, project: str, count: int) -> None:
        """Start `count` workers; raises OSError (none left running) when they cannot start."""
        self.project = project
        theirs: list[tuple[int, int]] = []
        ours: list[tuple[int, int]] = []
        for _ in range(count):
            requests_read, requests_write = os.pipe()
            answers_read, answers_write = os.pipe()
            theirs.append((requests_read, answers_write))
            ours.append((requests_write, answers_read))
        # The worker imports crds_deliver from where this process did, not from its own
        # current folder or default path.
        path = os.pathsep.join(entry for entry in sys.path if entry)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crds_deliver.certify.deep_worker", project,
                 *(f"{read},{write}" for read, write in theirs)],
                pass_fds=[fd for pair in theirs for fd in pair], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": path})
        except OSError:
            for fd in (fd for pairs in (theirs, ours) for pair in pairs for fd in pair):
                os.close(fd)
            raise
        for fd in (fd for pair in theirs for fd in pair):
            os.close(fd)  # only the workers hold these: their exit ends our reads
        self.workers = [_Worker(*pair) for pair in ours]
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for worker in self.workers:
            self._idle.put(worker)
        self._broken = threading.Event()

    @property
    def pids(self) -> list[int]:
        """The workers' pids (waits until they can answer)."""
        return [worker.ready() for worker in self.workers]

    def __call__(self, path: Path, name: str, project: str,
                 plain: PlainHdus | None = None) -> list[Finding]:
        if project == self.project and not self._broken.is_set():
            worker = self._idle.get()
            try:
                if not self._broken.is_set():
                    return worker.check(path, name, plain)
            except WorkerDied:
                self._broken.set()
            finally:
                self._idle.put(worker)
        return deep_findings(path, name, project, plain)

    def close(self) -> None:
        """End the workers: their requests end, they exit; if the first does not within
        5 s, it and its copies are killed."""
        for worker in self.workers:
            worker.end()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            for pid in (worker.pid for worker in self.workers[1:] if worker.pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait()
        for worker in self.workers:
            worker.answers.close()


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
