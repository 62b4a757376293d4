"""Read leases: granted on a file of ours nobody writes, refused on one open for writing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from crds_deliver.leases import read_lease

fcntl = pytest.importorskip("fcntl")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="read leases are Linux's")


def test_a_lease_is_granted_and_given_back(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    fd = os.open(path, os.O_RDONLY)
    try:
        with read_lease(fd) as leased:
            assert leased
            assert fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_RDLCK
        assert fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_UNLCK  # given back
        with read_lease(fd) as leased:  # and it can be taken again
            assert leased
    finally:
        os.close(fd)


def test_no_lease_on_a_file_open_for_writing(tmp_path: Path) -> None:
    """A file being written gets no lease: the caller reads it instead of mapping it."""
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    with path.open("r+b"):
        fd = os.open(path, os.O_RDONLY)
        try:
            with read_lease(fd) as leased:
                assert not leased
        finally:
            os.close(fd)
