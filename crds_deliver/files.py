"""Resolving a manifest's file globs safely, and digesting files in one streaming read.

Globs are relative to the manifest's folder and must stay inside the repository (the git
top-level folder holding the manifest): a manifest under review must not be able to deliver
`/etc/passwd` or a file a symlink smuggles in. A folder outside the repository is allowed only
when named explicitly (options.files_root, or CRDS_DELIVER_FILES_ROOT for a whole CI job).

Digests (size, sha1 for CRDS's duplicate check, sha256 for pinning) come from a single read
with two reused buffers, so memory does not grow with file size. In a file of several chunks
every consumer (sha1, sha256, the FITS sums) works in a thread of its own while the next chunk
is read (hashlib and numpy release the GIL), so the slowest consumer, not the sum of all of
them, sets the pace. On a local disk, a file of several chunks is mapped instead, under a read
lease (leases.py), each consumer mapping a window at a time at its own pace: the consumers
read the page cache itself, without the copy into a buffer that cost a fifth of plan's CPU on
large files.
"""

from __future__ import annotations

import glob
import hashlib
import itertools
import mmap
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from crds_deliver.bounded import file_kind
from crds_deliver.leases import read_lease, writer_waiting
from crds_deliver.problems import Problem

CHUNK = 4 * 1024 * 1024
# The part of a file a consumer maps at a time. Mapped pages count in the resident memory, and
# each consumer maps its own window: 3 windows a file being planned. 600 MB in 3 files on two
# cores, alternating: 8 MB windows 0.83 s and 81 MB of peak RSS, 16 MB 0.80 s and 122 MB.
WINDOW = 8 * 1024 * 1024
FILES_ROOT_ENV = "CRDS_DELIVER_FILES_ROOT"

Consumer = Callable[[memoryview, int], None]

MAX_NAME = 128
# Paths one glob may match: far more than any delivery holds, and few enough that a glob
# such as `**` on a huge tree fails at once instead of digesting and listing everything.
MAX_MATCHES = 10_000
_UPLOAD_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")
_EXTENSIONS = re.compile(r"\.(fits|asdf|json|yaml|text|r\dh|r\dd)$")


@dataclass(frozen=True)
class Digest:
    size: int
    sha1: str
    sha256: str


@dataclass(frozen=True)
class ResolvedFile:
    """A file a manifest delivers: where it is, and how it is shown (relative to the manifest)."""

    path: Path
    relative: str
    size: int  # when the globs were resolved (plan reads the file's own size again)
    entry: int | None = None  # index of the manifest's files[] glob that found it


@dataclass
class Resolution:
    files: list[ResolvedFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def upload_name_problem(name: str) -> str | None:
    """Why the server would refuse `name` as an upload, or None when it is acceptable."""
    if len(name) > MAX_NAME:
        return f"the name is {len(name)} characters long; CRDS accepts at most {MAX_NAME}"
    if not _UPLOAD_CHARS.match(name):
        bad = sorted({c for c in name if not re.match(r"[A-Za-z0-9._-]", c)})
        return f"the name contains {''.join(bad)!r}; CRDS accepts only A-Z a-z 0-9 . _ -"
    if not _EXTENSIONS.search(name.lower()):
        return ("the extension is not one CRDS accepts for references "
                "(.fits .asdf .json .yaml .text .rNh .rNd)")
    return None


def repository_root(folder: Path) -> Path:
    """The git top-level folder holding `folder` (walk up for .git), else the folder itself."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def allowed_roots(manifest_folder: Path, files_root: str | None) -> list[Path]:
    """The repository, plus the explicit outside root from the manifest or the environment."""
    roots = [repository_root(manifest_folder)]
    for extra in (files_root, os.environ.get(FILES_ROOT_ENV)):
        if extra:
            path = Path(extra).expanduser()
            roots.append((path if path.is_absolute() else manifest_folder / path).resolve())
    return roots


def _regular_size(path: str) -> int | str:
    """The size of a regular file (through symbolic links), else what it is ("a folder", "a
    FIFO (named pipe)", ..., "unreadable" for a dangling link or a link loop)."""
    try:
        status = os.stat(path)
    except OSError:
        return "unreadable"
    return status.st_size if stat.S_ISREG(status.st_mode) else file_kind(status.st_mode)


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


class _Folders:
    """Where the matches of one folder really are, worked out once per folder.

    Resolving a path follows symbolic links one component at a time (an lstat each), and a
    relative path takes two absolute ones: per file, that was a fifth of a plan of many small
    files. The files of a delivery share a few folders, so each folder's real path, its place
    relative to the manifest's folder and whether it is inside the allowed roots are kept;
    a match that is itself a symbolic link is still resolved whole."""

    def __init__(self, folder: Path, roots: list[Path]) -> None:
        self.folder = folder
        self.roots = roots
        self._known: dict[str, tuple[Path, str, bool]] = {}

    def place(self, match: str) -> tuple[Path, str, bool]:
        """(real path, path relative to the manifest's folder, inside the roots) of `match`."""
        parent, name = os.path.split(match)
        if name in ("", ".", "..") or os.path.islink(match):
            real = Path(match).resolve()
            return real, os.path.relpath(match, self.folder), _inside(real, self.roots)
        parent = parent or os.curdir
        known = self._known.get(parent)
        if known is None:
            real_parent = Path(parent).resolve()
            known = self._known[parent] = (real_parent, os.path.relpath(parent, self.folder),
                                           _inside(real_parent, self.roots))
        real_parent, relative_parent, inside = known
        real = real_parent / name
        relative = name if relative_parent == os.curdir else os.path.join(relative_parent, name)
        return real, relative, inside or real in self.roots


def resolve_globs(manifest_file: str, folder: Path, patterns: Sequence[str],
                  locate: Callable[[int], tuple[int | None, int | None]],
                  files_root: str | None = None) -> Resolution:
    """Expand every glob; report empty globs, escapes, bad names and duplicate basenames.

    `locate(i)` gives the manifest line/column of files[i], so each problem points at its glob.
    """
    result = Resolution()
    roots = allowed_roots(folder, files_root)
    folders = _Folders(folder, roots)
    seen: dict[Path, str] = {}
    for index, pattern in enumerate(patterns):
        line, col = locate(index)
        where = f"files[{index}]"

        def problem(message: str, line: int | None = line, col: int | None = col,
                    where: str = where) -> None:
            result.problems.append(Problem(manifest_file, message, line, col, where))

        base = Path(pattern).expanduser()
        # Lexically normalised, so `../x` works from a folder that does not exist yet (a
        # manifest the Python API has not saved); escapes are judged on resolved paths.
        full = os.path.normpath(base if base.is_absolute() else folder / base)
        found = list(itertools.islice(glob.iglob(full, recursive=True), MAX_MATCHES + 1))
        if len(found) > MAX_MATCHES:
            problem(f"{where}: '{pattern}' matches more than {MAX_MATCHES} paths; a delivery "
                    f"holds at most {MAX_MATCHES} files: narrow the glob")
            continue
        matches: list[tuple[str, int]] = []
        for match in sorted(found):
            size_or_kind = _regular_size(match)
            if size_or_kind in ("a folder", "unreadable"):
                continue  # folders, dangling links and link loops were never deliverable
            if isinstance(size_or_kind, str):
                problem(f"{where}: '{os.path.relpath(match, folder)}' is {size_or_kind}, "
                        "not a regular file; only regular files can be delivered")
                continue
            matches.append((match, size_or_kind))
        if not matches and not any(p.field == where for p in result.problems):
            problem(f"{where}: '{pattern}' matches no file")
            continue
        for match, size in matches:
            path = Path(match)
            real, relative, inside = folders.place(match)
            if not inside:
                # `..` is not a link: compared with the path made absolute and normalised
                how = "through a symbolic link " if real != Path(os.path.abspath(path)) else ""
                problem(f"{where}: '{relative}' leads {how}outside the repository "
                        f"({roots[0]}); allow an outside folder with options.files_root or "
                        f"{FILES_ROOT_ENV}")
                continue
            if real in seen:
                continue
            seen[real] = relative
            result.files.append(ResolvedFile(path, relative, size, index))
    by_name: dict[str, ResolvedFile] = {}
    for item in result.files:
        # Located at the glob that found the file, so the manifest line to change is named.
        line, col = locate(item.entry) if item.entry is not None else (None, None)
        where = f"files[{item.entry}]" if item.entry is not None else None
        if (reason := upload_name_problem(item.path.name)):
            result.problems.append(Problem(manifest_file, f"{item.relative}: {reason}", line,
                                           col, where))
        first = by_name.setdefault(item.path.name, item)
        if first is not item:
            result.problems.append(Problem(
                manifest_file, f"{item.relative} and {first.relative} have the same name "
                               f"'{item.path.name}'; the server ingests files by name, so one "
                               "would replace the other", line, col, where))
    result.files.sort(key=lambda f: f.relative)
    return result


def stream(path: Path, consumers: Sequence[Consumer],
           on_bytes: Callable[[int], None] | None = None, chunk: int = CHUNK,
           mapped: bool = False) -> int:
    """Read `path` once, feeding every consumer every chunk in file order; return the size.

    A file of one chunk is consumed in this thread (starting threads would cost more than
    they save); a longer one goes through `_stream_mapped` when `mapped` (the caller knows
    the file is on a local disk: a network file system's errors would reach a mapping as
    SIGBUS) and a read lease is granted, else through `_stream_in_threads`."""
    with path.open("rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        if mapped and size > chunk and len(consumers) > 1:
            with read_lease(handle.fileno()) as leased:
                if leased:
                    return _stream_mapped(handle.fileno(), consumers, on_bytes)
        # A small file gets a buffer its size (plus one byte, to see the end in one read):
        # zeroing a 4 MB buffer per file would cost more than reading a 20 kB one.
        buffer = bytearray(min(chunk, size + 1))
        count = handle.readinto(buffer)
        if count < len(buffer) or len(consumers) < 2:
            return _stream_here(handle, buffer, count, consumers, on_bytes)
        return _stream_in_threads(handle, buffer, count, consumers, on_bytes)


def _stream_here(handle: BinaryIO, buffer: bytearray, count: int,
                 consumers: Sequence[Consumer], on_bytes: Callable[[int], None] | None) -> int:
    view = memoryview(buffer)
    offset = 0
    while count:
        part = view[:count]
        for consume in consumers:
            consume(part, offset)
        offset += count
        if on_bytes:
            on_bytes(count)
        count = handle.readinto(buffer)
    return offset


def _stream_in_threads(handle: BinaryIO, first: bytearray, count: int,
                       consumers: Sequence[Consumer],
                       on_bytes: Callable[[int], None] | None) -> int:
    """Each consumer in a worker thread of its own, on one chunk while the next is read into
    the other buffer; a chunk is handed out once every consumer has finished the previous one
    (each consumer sees the chunks in order, and a buffer is reused only when all are done)."""
    buffers = (first, bytearray(len(first)))
    offset = 0
    pending: list[Future[None]] = []
    with ThreadPoolExecutor(len(consumers), thread_name_prefix="digest") as workers:
        try:
            index = 0
            while count:
                part = memoryview(buffers[index % 2])[:count]
                for job in pending:
                    job.result()
                pending = [workers.submit(consume, part, offset) for consume in consumers]
                offset += count
                if on_bytes:
                    on_bytes(count)
                index += 1
                count = handle.readinto(buffers[index % 2])
            for job in pending:
                job.result()
        finally:
            for job in pending:
                job.cancel()
    return offset


def _stream_mapped(fd: int, consumers: Sequence[Consumer],
                   on_bytes: Callable[[int], None] | None) -> int:
    """Each consumer in a thread of its own, mapping the file a window at a time, at its own
    pace: none waits for another between windows (the FITS sums' first window waits for
    numpy's import, which the digests need not wait for). The caller holds a read lease, so
    the size cannot change under it. `on_bytes` follows the slowest consumer."""
    size = os.fstat(fd).st_size
    progress = _SlowestConsumer(len(consumers), on_bytes)

    def run(index: int, consume: Consumer) -> None:
        for offset in range(0, size, WINDOW):
            length = min(WINDOW, size - offset)
            if writer_waiting(fd):  # the lease ends within lease-break-time: read, not map
                data = os.pread(fd, length, offset)
                if len(data) < length:
                    raise OSError(f"{size} bytes when its reading began, {offset + len(data)} "
                                  "now: the file was cut short while it was read")
                consume(memoryview(data), offset)
            else:
                with mmap.mmap(fd, length, offset=offset, access=mmap.ACCESS_READ) as window, \
                        memoryview(window) as view:
                    consume(view, offset)
            progress.reached(index, offset + length)

    with ThreadPoolExecutor(len(consumers), thread_name_prefix="digest") as workers:
        for job in [workers.submit(run, index, consume)
                    for index, consume in enumerate(consumers)]:
            job.result()
    return size


class _SlowestConsumer:
    """Calls `on_bytes` with the bytes every consumer has seen, as the slowest one moves."""

    def __init__(self, consumers: int, on_bytes: Callable[[int], None] | None) -> None:
        self._positions = [0] * consumers
        self._reported = 0
        self._on_bytes = on_bytes
        self._lock = threading.Lock()

    def reached(self, consumer: int, position: int) -> None:
        with self._lock:
            self._positions[consumer] = position
            slowest = min(self._positions)
            if slowest > self._reported and self._on_bytes:
                self._on_bytes(slowest - self._reported)
            self._reported = slowest


def read_if_small(path: Path, limit: int = CHUNK) -> tuple[int, bytes | None]:
    """(size, the bytes) of a file of at most `limit` bytes, (size, None) of a larger one: one
    open and one read, where a path lookup costs more than checking a small file's header."""
    with path.open("rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            return size, None
        data = handle.read(size + 1)
        if len(data) > size:  # it grew since: read it to its end, as a stream would
            data += handle.readall()
        return len(data), data


def digest_bytes(data: bytes, extra: Sequence[Consumer] = (),
                 on_bytes: Callable[[int], None] | None = None) -> Digest:
    """digest_file of a file already read whole (one chunk: `extra` consumers see it all)."""
    view = memoryview(data)
    for consume in extra:
        consume(view, 0)
    if on_bytes:
        on_bytes(len(data))
    return Digest(len(data), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest())


def digest_file(path: Path, extra: Sequence[Consumer] = (),
                on_bytes: Callable[[int], None] | None = None, mapped: bool = False) -> Digest:
    """Size, sha1 and sha256 of a file in one read; `extra` consumers see the same chunks.
    `mapped`: the file is on a local disk, and may be mapped (`stream`)."""
    sha1 = hashlib.sha1()
    sha256 = hashlib.sha256()
    size = stream(path, [lambda part, _o: sha1.update(part), lambda part, _o: sha256.update(part),
                         *extra], on_bytes, mapped=mapped)
    return Digest(size, sha1.hexdigest(), sha256.hexdigest())
