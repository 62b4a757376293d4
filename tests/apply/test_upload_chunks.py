"""What the upload sends: every size of file arrives whole, in as many posts as it has
2 000 000-byte chunks, and the sha1 the upload returns is that of the bytes the server holds,
even when the file changes while it is read (the caller compares it with the plan's)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.fixtures.sandbox import logged_in_client


def _stored(sandbox, name: str) -> bytes:
    [path] = sandbox.data_dir.rglob(f"ingest/**/{name}")
    return path.read_bytes()


@pytest.mark.parametrize(("size", "posts"), [
    (0, 1), (1_999_999, 1), (2_000_000, 1), (4_000_000, 2), (4_000_001, 3)])
def test_each_size_arrives_whole(sandbox, tmp_path: Path, size: int, posts: int):
    path = tmp_path / "f.fits"
    path.write_bytes(os.urandom(size))
    client = logged_in_client(sandbox)
    sent = client.upload(path, path.name)
    client.close()
    assert (sent.posts, sent.size) == (posts, size)
    assert _stored(sandbox, path.name) == path.read_bytes()
    assert sent.sha1 == hashlib.sha1(path.read_bytes()).hexdigest()


def test_a_csrf_token_longer_than_the_room_kept_for_it(sandbox, tmp_path: Path):
    path = tmp_path / "f.fits"
    path.write_bytes(os.urandom(2_500_000))
    client = logged_in_client(sandbox)
    client.list_ingest()  # sets the cookie the upload starts from
    for cookie in client.http.session.cookies:
        if cookie.name == "csrftoken":
            cookie.value = "t" * 300  # the sandbox takes any token equal to its cookie
    sent = client.upload(path, path.name)
    client.close()
    assert sent.posts == 2
    assert _stored(sandbox, path.name) == path.read_bytes()


def test_a_file_cut_short_while_uploading_is_sent_again_as_it_now_is(sandbox, tmp_path: Path):
    path = tmp_path / "f.fits"
    path.write_bytes(os.urandom(5_000_000))
    progress: list[int] = []

    def cut(name: str, done: int, total: int) -> None:
        progress.append(done)
        if done == 2_000_000:
            with path.open("r+b") as handle:
                handle.truncate(2_500_000)

    client = logged_in_client(sandbox)
    sent = client.upload(path, path.name, on_progress=cut)
    client.close()
    assert progress[:3] == [0, 2_000_000, 0]  # the third chunk's read found the end
    now = path.read_bytes()
    assert (sent.size, sent.posts) == (2_500_000, 2)
    assert _stored(sandbox, path.name) == now
    assert sent.sha1 == hashlib.sha1(now).hexdigest()
