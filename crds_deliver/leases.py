"""Read leases (Linux): a file nobody can write to or truncate while plan maps it.

plan hashes a large file from a memory map instead of copying it into a buffer (files.py).
A mapped file cut short by another process kills the reader with SIGBUS instead of ending
its read early, so a file is mapped only under a read lease (fcntl(2) F_SETLEASE): while it
is held, a process opening the file for writing or truncating it waits until the lease is
released, and a file already open for writing gets no lease at all. The wait is bounded by
/proc/sys/fs/lease-break-time (45 s by default), after which the kernel takes the lease back,
so a reader that sees a writer waiting (`writer_waiting`) stops mapping and reads the rest.
Where no lease can be had (another user's file, a file open for writing, a file system
without leases, macOS, Windows), the caller reads the file as before.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

# A writer waiting on the lease makes the kernel signal its holder, with SIGIO unless told
# otherwise, and SIGIO's default action ends the process. SIGURG's default is to ignore it,
# and nothing here uses a socket's urgent data, which is all SIGURG otherwise reports.
_BREAK_SIGNAL = getattr(signal, "SIGURG", None)
_SUPPORTED = fcntl is not None and hasattr(fcntl, "F_SETLEASE") and _BREAK_SIGNAL is not None


@contextlib.contextmanager
def read_lease(fd: int) -> Iterator[bool]:
    """Hold a read lease on the open file `fd` (opened read-only) for the block; yields
    whether it was granted. The block must not keep the file mapped after it ends."""
    if not _SUPPORTED:
        yield False
        return
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, _BREAK_SIGNAL)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError:  # EAGAIN: open for writing; EACCES: not ours; EINVAL: no leases here
        yield False
        return
    try:
        yield True
    finally:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)


def writer_waiting(fd: int) -> bool:
    """Whether the lease `read_lease` holds on `fd` is being broken (a writer waits for it)
    or is gone; asked only under a granted lease, so where leases exist."""
    return fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK
