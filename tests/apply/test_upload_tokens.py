"""One CSRF token carried from file to file: the upload page is fetched for a session's first
file only (not even then after an ingest listing, which sets the token), each later file
starts with the token the previous answer set, and a token the server refuses is fetched
afresh, the file sent again whole."""

from __future__ import annotations

from pathlib import Path

from crds_deliver.crds.http import RequestEvent
from tests.fixtures.sandbox import logged_in_client

UPLOAD = "/upload/chunked/"


def _files(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    for index in range(count):
        (folder / f"f{index}.fits").write_bytes(bytes([index]) * (1000 + index))
    return sorted(folder.iterdir())


def _stored(sandbox, name: str) -> bytes:
    [path] = sandbox.data_dir.rglob(f"ingest/**/{name}")
    return path.read_bytes()


def test_only_the_first_file_of_a_session_gets_the_upload_page(sandbox, tmp_path: Path):
    events: list[RequestEvent] = []
    client = logged_in_client(sandbox, events.append)
    files = _files(tmp_path / "files", 3)
    events.clear()
    for path in files:
        client.upload(path, path.name)
    assert [(e.method, e.path, e.status) for e in events] == [
        ("GET", UPLOAD, 200), ("POST", UPLOAD, 200), ("POST", UPLOAD, 200), ("POST", UPLOAD, 200)]
    assert all(_stored(sandbox, path.name) == path.read_bytes() for path in files)

    client.login("miri")  # a new session starts with the upload page again
    events.clear()
    client.upload(files[0], files[0].name)
    assert [e.method for e in events] == ["GET", "POST"]


def test_after_an_ingest_listing_the_first_file_needs_no_upload_page(sandbox, tmp_path: Path):
    events: list[RequestEvent] = []
    client = logged_in_client(sandbox, events.append)
    [path] = _files(tmp_path / "files", 1)
    client.list_ingest()
    events.clear()
    client.upload(path, path.name)
    assert [(e.method, e.path, e.status) for e in events] == [("POST", UPLOAD, 200)]
    assert _stored(sandbox, path.name) == path.read_bytes()


def test_a_refused_token_is_fetched_afresh_and_the_file_sent_again(sandbox, tmp_path: Path):
    events: list[RequestEvent] = []
    client = logged_in_client(sandbox, events.append)
    first, second = _files(tmp_path / "files", 2)
    client.upload(first, first.name)
    # The server's CSRF secret changes (as Django's does at a login elsewhere): the cookie
    # the next answer would check no longer matches the token carried over.
    for cookie in client.http.session.cookies:
        if cookie.name == "csrftoken":
            cookie.value = "x" * 32
    events.clear()
    sent = client.upload(second, second.name)
    assert [(e.method, e.status) for e in events] == [("POST", 403), ("GET", 200),
                                                      ("POST", 200)]
    assert sent.posts == 1 and sent.size == second.stat().st_size
    assert _stored(sandbox, second.name) == second.read_bytes()
