"""Whether folders live on a local file system, from Linux's mount table.

plan reads small files in one thread on a local disk, where a second thread only fights the
first for Python's GIL, and in several elsewhere, where the threads overlap the round trips
of a network file system (NFS, GPFS, Lustre: where reference files often live). Only the file
systems named here count as local; any other, and any system without a readable mount table
(macOS, Windows), keeps the threads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

MOUNT_TABLE = Path("/proc/self/mountinfo")
LOCAL_TYPES = frozenset({
    "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "bcachefs", "jfs", "reiserfs",
    "tmpfs", "ramfs", "overlay", "squashfs", "vfat", "exfat", "ntfs", "ntfs3", "hfsplus",
})


def mount_types(table: str) -> dict[str, str]:
    """{mount point: file system type} from the text of a mountinfo table (proc(5)); where
    one point is mounted several times, the last mount, which hides the others."""
    types: dict[str, str] = {}
    for line in table.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        separator = fields.index("-", 6)
        if len(fields) > separator + 1:
            types[_unescaped(fields[4])] = fields[separator + 1]
    return types


def _unescaped(point: str) -> str:
    """A mount point as the table writes it, with `\\040` for a space (octal escapes)."""
    if "\\" not in point:
        return point
    return point.encode().decode("unicode_escape").encode("latin-1").decode(
        errors="surrogateescape")


def file_system_type(folder: Path, types: dict[str, str]) -> str | None:
    """The type of the file system `folder` (links resolved) lives on: its deepest mount
    point's, found by walking up from the folder (a look-up a level, however many mounts)."""
    real = Path(os.path.realpath(folder))
    for level in (real, *real.parents):
        found = types.get(str(level))
        if found is not None:
            return found
    return None


def on_local_disks(folders: Iterable[Path]) -> bool:
    """True when every folder is on a file system of LOCAL_TYPES; False for any other, and
    where the mount table cannot be read."""
    try:
        types = mount_types(MOUNT_TABLE.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return False
    return all(file_system_type(folder, types) in LOCAL_TYPES for folder in folders)
