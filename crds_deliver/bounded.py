"""Reading a small file the user names (a manifest, a result record) without trusting it.

`stat` says nothing reliable about what a read will return: a symbolic link to /dev/zero has
size 0 and never ends, a FIFO blocks the open until a writer comes, and a file may grow between
the stat and the read. So the file is opened without blocking, must be a regular file by
`fstat` of the open descriptor, and is read with a hard bound: one byte past the limit refuses.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from crds_deliver.errors import CrdsDeliverError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class NotReadable(CrdsDeliverError):
    """The file is not a regular file, or larger than a file of its kind may be."""


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a FIFO (named pipe)"); "a special file" else."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes (`what` names the kind of
    file in the error). Raises NotReadable for anything else, OSError when it cannot be
    opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(f"{path}: the file is {file_kind(info.st_mode)}, not a regular "
                              f"file; a {what} must be a regular file")
        if info.st_size > limit:
            raise NotReadable(f"{path}: the file is {info.st_size} bytes; a {what} may be at "
                              f"most {limit} bytes")
        parts: list[bytes] = []
        total = 0
        while total <= limit:
            part = os.read(fd, min(1 << 20, limit + 1 - total))
            if not part:
                break
            parts.append(part)
            total += len(part)
        if total > limit:
            raise NotReadable(f"{path}: the file grew past {limit} bytes while it was read; "
                              f"a {what} may be at most {limit} bytes")
        return b"".join(parts)
    finally:
        os.close(fd)
