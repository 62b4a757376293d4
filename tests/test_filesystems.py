"""plan reads small files in one thread on local disks only (filesystems.py): the mount table
is read as Linux writes it, each folder gets its deepest mount's type, and anything not known
to be local (a network file system, an unreadable table) keeps the threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver import filesystems
from crds_deliver.filesystems import file_system_type, mount_types, on_local_disks

TABLE = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid - proc proc rw
40 22 0:35 / /grp rw,relatime shared:7 master:3 - nfs4 server:/grp rw,vers=4.1
41 40 0:36 / /grp/scratch rw - xfs /dev/sdb1 rw
42 22 0:37 / /home/a\\040space rw - gpfs gpfs0 rw
43 22 0:38 / /mnt rw - tmpfs tmpfs rw
44 22 0:39 / /mnt rw - fuse.sshfs host:/data rw
not a mountinfo line
"""


def test_the_table_gives_each_mount_point_its_type() -> None:
    types = mount_types(TABLE)
    assert types == {"/": "ext4", "/proc": "proc", "/grp": "nfs4", "/grp/scratch": "xfs",
                     "/home/a space": "gpfs", "/mnt": "fuse.sshfs"}


def test_a_folder_is_on_its_deepest_mount() -> None:
    types = mount_types(TABLE)
    assert file_system_type(Path("/grp/cos/refs"), types) == "nfs4"
    assert file_system_type(Path("/grp/scratch/refs"), types) == "xfs"
    assert file_system_type(Path("/grp/scratchy"), types) == "nfs4"
    assert file_system_type(Path("/home/a space/x"), types) == "gpfs"
    assert file_system_type(Path("/home/b"), types) == "ext4"
    assert file_system_type(Path("/mnt/d"), types) == "fuse.sshfs"  # the last mount hides


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "mountinfo"
    monkeypatch.setattr(filesystems, "MOUNT_TABLE", path)
    return path


def test_only_known_local_file_systems_are_local(table: Path) -> None:
    table.write_text(TABLE)
    assert on_local_disks([Path("/home/b"), Path("/grp/scratch/x")])
    assert not on_local_disks([Path("/home/b"), Path("/grp/cos")])
    assert not on_local_disks([Path("/mnt/d")])
    assert not on_local_disks([Path("/home/a space")])


def test_without_a_mount_table_nothing_is_local(table: Path) -> None:
    assert not table.exists()
    assert not on_local_disks([Path("/home/b")])


def test_links_are_followed_to_the_file_system_they_lead_to(tmp_path: Path,
                                                             table: Path) -> None:
    real = tmp_path / "on-nfs"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    table.write_text(f"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                     f"40 22 0:35 / {real.resolve()} rw - nfs server:/x rw\n")
    assert not on_local_disks([link])
    assert on_local_disks([tmp_path])
