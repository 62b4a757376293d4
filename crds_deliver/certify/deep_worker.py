"""Deep-check worker processes: `python -m crds_deliver.certify.deep_worker PROJECT FDS...`.

One interpreter imports crds and the project's datamodels, pins astropy's configuration
(pinned_config.py) and crds's settings (deep.py's _CrdsSettings), puts crds_values.py's
stand-ins in crds's place (its per-value header work remembered, its cached calls and header
reads without their bookkeeping) and makes asdf keep the schemas it parses (asdf_schemas.py),
then forks one copy of itself per further worker: the import is about a second of CPU for HST and
several for JWST, and paying it once instead of once per worker leaves that core to plan's
hashing. Forking is safe here because this process is ours alone and has one thread (the
imports start none; tests/certify/test_deep_workers.py checks it), and the copies share the
imported modules' memory (deep.py moved them out of the collector's sight, so the copies do
not touch those pages).

Each FDS argument is `READ,WRITE`: two pipe ends that deep_pool.py passed, one per worker.
Each worker first writes `{"pid": N}` once it can answer, then answers requests until its
pipe ends: `{"path": ..., "name": ..., "plain": ...}` in (plain: the strict reading of the
file's headers that plan made, or None), a list of findings (as dicts) out, each a message of
worker_messages.py. Anything crds or a datamodel package prints goes to stderr.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from pathlib import Path

from crds_deliver.certify.asdf_schemas import keep_parsed_schemas
from crds_deliver.certify.crds_values import install_crds_stand_ins
from crds_deliver.certify.deep import deep_findings, import_crds, pin_crds_settings
from crds_deliver.certify.pinned_config import pin_astropy_config
from crds_deliver.certify.worker_messages import read_message, write_message

Pipes = tuple[int, int]  # (requests in, answers out)


def _serve(pipes: Pipes, project: str) -> None:
    with open(pipes[0], "rb") as requests, open(pipes[1], "wb") as answers:
        write_message(answers, {"pid": os.getpid()})
        while True:
            try:
                request = read_message(requests)
            except EOFError:  # plan closed its end: no more files
                return
            findings = deep_findings(Path(request["path"]), request["name"], project,
                                     request["plain"])
            write_message(answers, [finding.to_dict() for finding in findings])


def _close(pipes: list[Pipes]) -> None:
    for fd in (fd for pair in pipes for fd in pair):
        with contextlib.suppress(OSError):
            os.close(fd)


def _fork(own: Pipes, others: list[Pipes], project: str) -> int:
    """A copy of this process serving `own`; it holds no other worker's pipe ends, so a
    worker's death still ends its answers pipe for deep_pool."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            _close(others)
            _serve(own, project)
            status = 0
        finally:
            os._exit(status)  # never this process's atexit handlers or buffers twice
    return pid


def main() -> None:
    project = sys.argv[1]
    pipes = [(int(read), int(write)) for read, write in
             (spec.split(",") for spec in sys.argv[2:])]
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    import_crds(project)
    pin_astropy_config()
    pin_crds_settings()
    install_crds_stand_ins()
    keep_parsed_schemas()
    copies = [_fork(own, [p for p in pipes if p != own], project) for own in pipes[1:]]
    _close(pipes[1:])
    _serve(pipes[0], project)
    for pid in copies:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    # The interpreter's teardown takes crds's modules apart one by one (about 0.08 s of CPU
    # for HST, while plan waits for this process to end): the exit handlers the packages
    # registered run, stderr is flushed, and the process ends without the teardown.
    atexit._run_exitfuncs()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
