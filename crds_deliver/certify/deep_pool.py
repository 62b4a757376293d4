"""crds's certifier for many files at once: worker processes of our own, fed by plan's threads.

crds's certifier holds the GIL (Python through and through), so plan's threads cannot share its
work: from POOL_MIN_FILES files on it runs in worker processes (`worker_count` of them): one
`python -m crds_deliver.certify.deep_worker`, which imports crds once and then forks a copy of
itself per further worker (deep_worker.py).

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
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

from crds_deliver.certify.deep import DeepCheck, deep_findings, preload
from crds_deliver.certify.extras import deep_checks_available
from crds_deliver.certify.findings import Finding
from crds_deliver.certify.strict_header import PlainHdus
from crds_deliver.certify.worker_messages import read_message, write_message

# The workers import crds and the project's datamodels (about 1 s of CPU for HST, several for
# JWST), so fewer files would not repay the start.
POOL_MIN_FILES = 16
# Each worker holds crds and the datamodels in memory (a few hundred MB with JWST's): a few
# workers, however many cores, keep a big machine's plan from taking gigabytes.
MAX_WORKER_PROCESSES = 4
# Requests a worker holds before the next worker gets one: the one it checks and the next.
QUEUE_DEPTH = 2
# Projects whose files crds checks at several times the cost of plan's own work on them:
# stdatamodels opens and validates each JWST file (65-74 ms for a small MIRI dark, against
# 10 ms for the rest of its plan). An HST check costs about what plan's reading and checks
# cost (about 1 ms each for a small bias), and a Roman one less than plan's own ASDF reading.
_HEAVY_CHECKS = frozenset({"jwst"})


def worker_count(project: str, cores: int) -> int:
    """Worker processes for a plan on `cores` cores. Plan's own process (reading, hashing, its
    own checks) keeps about one core busy: where crds's checks cost about as much as that
    work, one core fewer than there are: workers sharing the cores with plan's process cost
    more CPU and gave no time back (2 cores, a plan of 2,000 small HST files, requests queued
    in both cases: 2.9 ms of CPU a file with two workers, 2.4 ms with one, and 0.6 s less
    wall time with one)."""
    spare = cores if project in _HEAVY_CHECKS else cores - 1
    return max(1, min(spare, MAX_WORKER_PROCESSES))


class WorkerDied(RuntimeError):
    """A worker process ended or answered something that is not an answer."""


class _Worker:
    """This side of one worker's two pipes. Any thread may send a request; a thread of its
    own reads the answers, which come in the order of the requests, and hands each to the
    request's future. Requests queue in the pipe, so a worker with several goes from one
    file to the next without waiting for plan's threads (see WorkerPool)."""

    def __init__(self, requests: int, answers: int) -> None:
        self._requests = open(requests, "wb")  # noqa: SIM115  (closed by end)
        self._answers = open(answers, "rb")  # noqa: SIM115  (closed by the reader)
        self._pending: deque[Future[list[Finding]]] = deque()
        self._lock = threading.Lock()
        self._greeting: Future[int] = Future()
        self._died: WorkerDied | None = None
        self._reader = threading.Thread(target=self._read, name="deep-check-answers",
                                        daemon=True)
        self._reader.start()

    @property
    def waiting(self) -> int:
        """Requests sent and not yet answered."""
        return len(self._pending)

    @property
    def pid(self) -> int | None:
        """The worker's pid, when it has greeted (does not wait)."""
        greeted = self._greeting.done() and self._greeting.exception() is None
        return self._greeting.result() if greeted else None

    def ready(self) -> int:
        """The worker's pid, once it has imported crds and can answer (waits for that)."""
        return self._greeting.result()

    def submit(self, path: Path, name: str, plain: PlainHdus | None
               ) -> Future[list[Finding]]:
        """Send one request; its future gives the findings or raises WorkerDied."""
        future: Future[list[Finding]] = Future()
        # An absolute path, as this process sees it (`resolve` would also follow the
        # links, one system call per folder: a fifth of the exchange's cost per file).
        request = {"path": os.path.abspath(path), "name": name, "plain": plain}
        with self._lock:
            if self._died is not None:
                future.set_exception(self._died)
                return future
            self._pending.append(future)
            # A worker that died ends its answers too: the reader fails this future then.
            with contextlib.suppress(OSError):
                write_message(self._requests, request)
        return future

    def _read(self) -> None:
        try:
            self._greeting.set_result(int(read_message(self._answers)["pid"]))
            while True:
                answer = read_message(self._answers)
                findings = [Finding.from_dict(item) for item in answer]
                # Without the lock: a request is queued before it is written, and a sender
                # whose write waits for room in a full pipe holds the lock meanwhile.
                self._pending.popleft().set_result(findings)
        except (OSError, ValueError, TypeError, KeyError, EOFError, IndexError) as exc:
            self._fail(WorkerDied(f"deep-check worker: {exc!r}"))
        finally:
            self._answers.close()

    def _fail(self, reason: WorkerDied) -> None:
        with self._lock:
            self._died = reason
            if not self._greeting.done():
                self._greeting.set_exception(reason)
            while self._pending:
                self._pending.popleft().set_exception(reason)

    def end(self) -> None:
        """Close the requests pipe: the worker finishes and exits, and so does the reader."""
        with self._lock, contextlib.suppress(OSError):
            self._requests.close()

    def join(self) -> None:
        """Wait for the reader to see the answers end (the worker has exited)."""
        self._reader.join(timeout=5)


class WorkerPool:
    """`deep_findings` for one project, answered by the workers (see _submit). When a worker dies
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
        self._choosing = threading.Lock()
        self._broken = threading.Event()

    @property
    def pids(self) -> list[int]:
        """The workers' pids (waits until they can answer)."""
        return [worker.ready() for worker in self.workers]

    def __call__(self, path: Path, name: str, project: str,
                 plain: PlainHdus | None = None) -> list[Finding]:
        if project == self.project and not self._broken.is_set():
            try:
                return self._submit(path, name, plain).result()
            except WorkerDied:
                self._broken.set()
        return deep_findings(path, name, project, plain)

    def _submit(self, path: Path, name: str, plain: PlainHdus | None
                ) -> Future[list[Finding]]:
        """Send the request to the first worker with fewer than QUEUE_DEPTH requests, else to
        the one with the fewest: when plan feeds files more slowly than one worker checks
        them, the others stay asleep instead of each waking for every other file (a worker
        woken for each file took half as much CPU again per file as one kept busy)."""
        with self._choosing:
            worker = next((w for w in self.workers if w.waiting < QUEUE_DEPTH),
                          None) or min(self.workers, key=lambda w: w.waiting)
            return worker.submit(path, name, plain)

    @property
    def feeders(self) -> int:
        """How many of plan's threads keep every worker's queue full."""
        return len(self.workers) * QUEUE_DEPTH

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
            worker.join()


def feeder_threads(check: DeepCheck) -> int:
    """Threads a plan adds for `check`: a WorkerPool's feeders, which wait for the workers'
    answers and hold no core; none for the checks made in plan's own threads."""
    return check.feeders if isinstance(check, WorkerPool) else 0


@contextlib.contextmanager
def deep_checker(project: str, files: int) -> Iterator[DeepCheck]:
    """crds's certifier for a plan of `files` files: `deep_findings` in this process (its
    import started in the background, unless the project's extra is missing or there is no
    file, when it will not be called), or for `files` >= POOL_MIN_FILES on a machine with
    several cores, a WorkerPool of `worker_count` workers."""
    if not files or not deep_checks_available(project):
        yield deep_findings
        return
    cores = os.cpu_count() or 1
    pool = None
    if files >= POOL_MIN_FILES and cores >= 2:
        with contextlib.suppress(OSError):  # no interpreter to start (embedded Python)
            pool = WorkerPool(project, worker_count(project, cores))
    if pool is None:
        preload(project)
        yield deep_findings
        return
    try:
        yield pool
    finally:
        pool.close()
