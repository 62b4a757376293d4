"""Read leases: granted on a file of ours nobody writes, refused on one open for writing, and
a writer waiting for one seen by its holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crds_deliver.leases import read_lease, writer_waiting

fcntl = pytest.importorskip("fcntl")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="read leases are Linux's")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    return path


@pytest.fixture
def read_only(path: Path) -> Iterator[int]:
    """`path` opened read-only, as plan opens the files it maps."""
    fd = os.open(path, os.O_RDONLY)
    yield fd
    os.close(fd)


def test_a_lease_is_granted_and_given_back(read_only: int) -> None:
    with read_lease(read_only) as leased:
        assert leased
        assert fcntl.fcntl(read_only, fcntl.F_GETLEASE) == fcntl.F_RDLCK
    assert fcntl.fcntl(read_only, fcntl.F_GETLEASE) == fcntl.F_UNLCK  # given back
    with read_lease(read_only) as leased:  # and it can be taken again
        assert leased


def test_no_lease_on_a_file_open_for_writing(path: Path, read_only: int) -> None:
    """A file being written gets no lease: the caller reads it instead of mapping it."""
    with path.open("r+b"), read_lease(read_only) as leased:
        assert not leased


def test_a_writer_waiting_for_the_lease_is_seen(path: Path, read_only: int) -> None:
    """A writer waits for the lease to be given back, and the holder sees it waiting (and
    then reads instead of mapping: files._stream_mapped)."""
    with read_lease(read_only) as leased:
        assert leased
        assert not writer_waiting(read_only)
        writer = subprocess.Popen(
            [sys.executable, "-c", f"open({str(path)!r}, 'r+b').write(b'y')"])
        deadline = time.monotonic() + 30
        while not writer_waiting(read_only) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer_waiting(read_only)
        assert writer.poll() is None  # still waiting for the lease
    assert writer.wait(timeout=60) == 0
    assert path.read_bytes()[:1] == b"y"
