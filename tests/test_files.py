"""Glob resolution stays inside the repository; digests come from one streaming read."""

from __future__ import annotations

import hashlib
import mmap
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crds_deliver import files
from crds_deliver.files import (
    FILES_ROOT_ENV,
    digest_bytes,
    digest_file,
    read_if_small,
    repository_root,
    resolve_globs,
    stream,
    upload_name_problem,
)


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _touch(path: Path, content: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _resolve(folder: Path, patterns: list[str], files_root: str | None = None):
    return resolve_globs("m.yaml", folder, patterns, lambda i: (10 + i, 5), files_root)


def test_globs_are_relative_sorted_deduplicated_and_recursive(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    folder = root / "deliveries"
    for name in ("refs/b_drk.fits", "refs/a_drk.fits", "refs/deep/er/c_drk.fits"):
        _touch(folder / name)
    result = _resolve(folder, ["refs/*.fits", "refs/**/*.fits", "refs/a_drk.fits"])
    assert result.problems == []
    assert [f.relative for f in result.files] == ["refs/a_drk.fits", "refs/b_drk.fits",
                                                  "refs/deep/er/c_drk.fits"]


def test_each_file_comes_with_its_size_through_links(tmp_path: Path) -> None:
    """plan chooses its threads by the files' sizes (plan_threads): read from the stat the
    resolution makes anyway, a symbolic link's being its target's."""
    folder = _repo(tmp_path) / "deliveries"
    _touch(folder / "refs" / "a_drk.fits", b"x" * 2880)
    _touch(folder / "refs" / "b_drk.fits", b"")
    (folder / "refs" / "c_drk.fits").symlink_to(_touch(folder / "data" / "c.bin", b"y" * 5))
    result = _resolve(folder, ["refs/*.fits"])
    assert [(f.relative, f.size) for f in result.files] == [
        ("refs/a_drk.fits", 2880), ("refs/b_drk.fits", 0), ("refs/c_drk.fits", 5)]


def test_a_glob_matching_nothing_is_a_located_problem(tmp_path: Path) -> None:
    folder = _repo(tmp_path)
    result = _resolve(folder, ["refs/*.fits"])
    [problem] = result.problems
    assert (problem.line, problem.column, problem.field) == (10, 5, "files[0]")
    assert "matches no file" in problem.message


def test_dot_dot_escaping_the_repository_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _touch(tmp_path / "outside" / "x_drk.fits")
    result = _resolve(root, ["../outside/*.fits"])
    assert result.files == []
    assert "' leads outside the repository (" in result.problems[0].message  # no link in it


def test_dot_dot_from_a_relative_folder_is_not_called_a_symbolic_link(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI passes the manifest's folder as given (`manifests`, relative): a `..` escape
    from it is an escape, not a link."""
    root = _repo(tmp_path)
    (root / "manifests").mkdir()
    _touch(tmp_path / "outside" / "x_drk.fits")
    monkeypatch.chdir(root)
    [problem] = _resolve(Path("manifests"), ["../../outside/*.fits"]).problems
    assert "' leads outside the repository (" in problem.message


def test_absolute_path_outside_is_refused_unless_files_root_allows(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    outside = _touch(tmp_path / "shared" / "x_drk.fits")
    assert _resolve(root, [str(outside)]).files == []
    allowed = _resolve(root, [str(outside)], files_root=str(tmp_path / "shared"))
    assert allowed.problems == [] and [f.path for f in allowed.files] == [outside]


def test_environment_variable_allows_an_outside_root(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    _touch(tmp_path / "shared" / "x_drk.fits")
    monkeypatch.setenv(FILES_ROOT_ENV, str(tmp_path / "shared"))
    assert _resolve(root, ["../shared/*.fits"]).problems == []


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    target = _touch(tmp_path / "secret" / "x_drk.fits")
    (root / "refs").mkdir()
    os.symlink(target, root / "refs" / "x_drk.fits")
    result = _resolve(root, ["refs/*.fits"])
    assert result.files == []
    assert "through a symbolic link" in result.problems[0].message


def test_symlink_inside_the_repository_is_fine(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    target = _touch(root / "store" / "x_drk.fits")
    (root / "refs").mkdir()
    os.symlink(target, root / "refs" / "x_drk.fits")
    assert _resolve(root, ["refs/*.fits"]).problems == []


def test_a_folder_linked_outside_the_repository_is_refused_file_by_file(tmp_path: Path) -> None:
    """A linked folder takes every file in it outside (each one is named), and a file in a
    plain folder next to it is still delivered."""
    root = _repo(tmp_path)
    for name in ("x_drk.fits", "y_drk.fits"):
        _touch(tmp_path / "secret" / name)
    os.symlink(tmp_path / "secret", root / "linked")
    _touch(root / "plain" / "z_drk.fits")
    result = _resolve(root, ["linked/*.fits", "plain/*.fits"])
    assert [f.relative for f in result.files] == ["plain/z_drk.fits"]
    assert [p.message.split(":")[0] for p in result.problems] == ["files[0]", "files[0]"]
    assert all("'linked/" in p.message and "through a symbolic link outside the repository"
               in p.message for p in result.problems)


def test_one_file_reached_through_two_folders_is_delivered_once(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    store = _touch(root / "store" / "x_drk.fits")
    os.symlink(root / "store", root / "alias")
    result = _resolve(root, ["store/*.fits", "alias/*.fits"])
    assert result.problems == []
    assert [(f.path, f.relative) for f in result.files] == [(store, "store/x_drk.fits")]


def test_same_basename_twice_is_a_problem(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _touch(root / "a" / "x_drk.fits", b"1")
    _touch(root / "b" / "x_drk.fits", b"2")
    result = _resolve(root, ["*/x_drk.fits"])
    [problem] = result.problems
    assert "same name 'x_drk.fits'" in problem.message


def test_bad_upload_names_are_problems(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    _touch(root / "my dark.fits")
    _touch(root / "notes.txt")
    messages = [p.message for p in _resolve(root, ["*"]).problems]
    assert any("contains ' '" in m for m in messages)
    assert any("extension" in m for m in messages)
    assert upload_name_problem("a" * 124 + ".fits") is not None
    assert upload_name_problem("jwst_miri_dark_0001.fits") is None
    assert upload_name_problem("u5d1234ku.r1h") is None


def test_repository_root_is_the_git_top_level_else_the_folder(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "a" / "b").mkdir(parents=True)
    assert repository_root(root / "a" / "b") == root.resolve()
    plain = tmp_path / "plain"
    plain.mkdir()
    assert repository_root(plain) == plain.resolve()


@pytest.mark.parametrize("mapped", [False, True])
@pytest.mark.parametrize("size", [0, 1, 4 * 1024 * 1024, 4 * 1024 * 1024 + 7])
def test_digest_matches_hashlib(tmp_path: Path, size: int, mapped: bool) -> None:
    data = os.urandom(size)
    path = _touch(tmp_path / "f.bin", data)
    seen: list[int] = []
    digest = digest_file(path, on_bytes=seen.append, mapped=mapped)
    assert digest.size == size == sum(seen)
    assert digest.sha1 == hashlib.sha1(data).hexdigest()
    assert digest.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [0, 1, 999, 1000])
def test_a_file_read_whole_digests_as_a_streamed_one(tmp_path: Path, size: int) -> None:
    """read_if_small gives a file of up to `limit` bytes whole (None above it), and
    digest_bytes of those bytes is digest_file of the file, extra consumers included."""
    path = _touch(tmp_path / "f.bin", os.urandom(size))
    assert read_if_small(path, limit=1000) == (size, path.read_bytes())
    assert read_if_small(path, limit=size - 1) == (size, None)
    whole: list[bytes] = []
    streamed: list[bytes] = []
    seen: list[int] = []
    digest = digest_bytes(path.read_bytes(), [lambda part, _o: whole.append(bytes(part))],
                          seen.append)
    assert digest == digest_file(path, [lambda part, _o: streamed.append(bytes(part))])
    assert b"".join(whole) == b"".join(streamed) == path.read_bytes()
    assert sum(seen) == size


@pytest.mark.parametrize("mapped", [False, True])
@pytest.mark.parametrize("size", [0, 999, 1000, 1001, 10_000, 12_345])
def test_stream_hands_every_consumer_the_chunks_in_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, mapped: bool) -> None:
    """Small chunks and windows force many hand-offs: each consumer sees the whole file, in
    order, once, whether the file is consumed in the caller's thread (one chunk), read into
    buffers by worker threads, or mapped a window at a time (a file of several chunks on a
    local disk, which tmp_path is)."""
    monkeypatch.setattr(files, "WINDOW", mmap.ALLOCATIONGRANULARITY)
    data = os.urandom(size)
    path = _touch(tmp_path / "f.bin", data)
    seen: dict[int, list[tuple[int, bytes]]] = {0: [], 1: [], 2: []}

    def consumer(index: int):
        return lambda part, offset: seen[index].append((offset, bytes(part)))

    assert stream(path, [consumer(0), consumer(1), consumer(2)], chunk=1000,
                  mapped=mapped) == size
    step = files.WINDOW if mapped and size > 1000 else 1000
    for chunks in seen.values():
        assert b"".join(part for _offset, part in chunks) == data
        assert [offset for offset, _part in chunks] == list(range(0, size, step))


@pytest.mark.parametrize("mapped", [False, True])
def test_stream_reports_a_failing_consumer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           mapped: bool) -> None:
    monkeypatch.setattr(files, "WINDOW", mmap.ALLOCATIONGRANULARITY)
    path = _touch(tmp_path / "f.bin", os.urandom(5 * mmap.ALLOCATIONGRANULARITY))

    def broken(part: memoryview, offset: int) -> None:
        if offset >= 2 * mmap.ALLOCATIONGRANULARITY:
            raise ValueError("consumer failed")

    with pytest.raises(ValueError, match="consumer failed"):
        stream(path, [lambda part, offset: None, broken], chunk=1000, mapped=mapped)
    with path.open("r+b") as handle:  # the lease is gone with the stream: writable at once
        handle.write(b"x")


def test_mapped_progress_follows_the_slowest_consumer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mapped consumers go at their own pace; the bytes reported done are those every
    consumer has seen, never more than the slowest one has."""
    monkeypatch.setattr(files, "WINDOW", mmap.ALLOCATIONGRANULARITY)
    data = os.urandom(16 * mmap.ALLOCATIONGRANULARITY + 5)
    path = _touch(tmp_path / "f.bin", data)
    reported: list[int] = []
    fast: list[bytes] = []

    def slow(part: memoryview, offset: int) -> None:
        time.sleep(0.01)  # the fast consumer is windows ahead by now
        assert sum(reported) <= offset

    assert stream(path, [lambda part, _o: fast.append(bytes(part)), slow], on_bytes=reported.append,
                  chunk=1000, mapped=True) == len(data)
    assert b"".join(fast) == data
    assert sum(reported) == len(data)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="read leases are Linux's")
def test_a_mapped_file_cannot_be_cut_short_while_it_is_streamed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mapped file cut short would kill the reader (SIGBUS): another process truncating
    it waits until the stream is over (leases.py), the windows after it started waiting are
    read instead of mapped, and the digest is the whole file's."""
    monkeypatch.setattr(files, "WINDOW", 64 * 1024)
    data = os.urandom(files.CHUNK + 1)  # more than a chunk: a file that gets mapped
    path = _touch(tmp_path / "f.bin", data)
    cutter: list[subprocess.Popen] = []

    def cut_at_the_first_window(part: memoryview, offset: int) -> None:
        if offset == 0:
            cutter.append(subprocess.Popen(
                [sys.executable, "-c", f"import os; os.truncate({str(path)!r}, 0)"]))
            with pytest.raises(subprocess.TimeoutExpired):
                cutter[0].wait(timeout=2)

    digest = digest_file(path, [cut_at_the_first_window], mapped=True)
    assert digest.sha256 == hashlib.sha256(data).hexdigest()
    assert digest.size == len(data)
    assert cutter[0].wait(timeout=60) == 0
    assert path.stat().st_size == 0


def test_each_file_is_placed_as_resolving_it_alone_would(tmp_path: Path, monkeypatch) -> None:
    """Folders are resolved once for all their files: the paths shown and the files found are
    those of resolving every match on its own, next to the manifest, below it, above it (in
    the repository), from a relative manifest folder, and through a linked file."""
    root = _repo(tmp_path)
    folder = root / "manifests" / "hst"
    names = ["a_drk.fits", "refs/b_drk.fits", "refs/deep/c_drk.fits", "../shared/d_drk.fits"]
    for name in names:
        _touch(folder / name)
    os.symlink(folder / "refs" / "b_drk.fits", folder / "refs" / "linked_drk.fits")
    monkeypatch.chdir(root)
    for where in (folder, Path("manifests/hst")):
        result = _resolve(where, ["*.fits", "refs/**/*.fits", "../shared/*.fits"])
        assert result.problems == []
        # The linked file is the same file as refs/b_drk.fits, found first: delivered once.
        expected = sorted((os.path.relpath(os.path.normpath(where / n), where),
                           Path(os.path.normpath(where / n)).resolve()) for n in names)
        assert sorted((f.relative, f.path.resolve()) for f in result.files) == expected
