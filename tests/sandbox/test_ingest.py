"""The per-user ingest area: listing, deleting, single-post and chunked uploads and their errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crds_deliver.sandbox import SandboxSettings
from tests.fixtures.sandbox import FAST, SandboxWeb


@pytest.fixture
def logged_in(web: SandboxWeb) -> SandboxWeb:
    web.login("miri")
    return web


def _ingest_dir(sb, user: str | None = None) -> Path:
    return sb.data_dir / sb.project / "ingest" / (user or sb.username)


def test_listing_shape_and_cookie(sandbox, logged_in: SandboxWeb, tmp_path: Path) -> None:
    path = tmp_path / "a_file.fits"
    path.write_bytes(b"x" * 301)
    logged_in.upload(path)
    response = logged_in.get("/upload/list/")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "csrftoken" in response.cookies
    assert response.json() == {"files": [{"name": "a_file.fits", "size": 301,
                                          "deleteUrl": "/upload/delete/a_file.fits",
                                          "deleteType": "DELETE"}]}
    as_json = logged_in.get("/upload/list/", headers={"Accept": "application/json"})
    assert as_json.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_delete_by_any_method(logged_in: SandboxWeb, tmp_path: Path, method: str) -> None:
    path = tmp_path / "gone.fits"
    path.write_bytes(b"data")
    logged_in.upload(path)
    response = logged_in.http.request(method, logged_in.url("/upload/delete/gone.fits"),
                                      timeout=10)
    assert response.status_code == 200
    assert logged_in.listing() == {"files": []}


def test_same_name_upload_replaces(logged_in: SandboxWeb, tmp_path: Path) -> None:
    path = tmp_path / "same.fits"
    path.write_bytes(b"first version")
    logged_in.upload(path)
    path.write_bytes(b"second")
    logged_in.upload(path)
    assert logged_in.listing()["files"][0]["size"] == 6


def test_chunked_upload_assembles_file(sandbox, logged_in: SandboxWeb) -> None:
    data = os.urandom(5000)
    answers = [logged_in.upload_chunk("big.fits", data[i:i + 2000], i, len(data))
               for i in range(0, len(data), 2000)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("csrftoken" in a.cookies for a in answers)
    assert answers[0].json() == {"files": []}  # incomplete uploads are not listed
    assert answers[-1].json()["files"][0]["size"] == 5000
    assert (_ingest_dir(sandbox) / "big.fits").read_bytes() == data
    assert sandbox.stats.chunk_posts == 3 and sandbox.stats.uploads == 1


def test_chunk_gap_is_refused(logged_in: SandboxWeb) -> None:
    logged_in.upload_chunk("gap.fits", b"a" * 100, 0, 300)
    response = logged_in.upload_chunk("gap.fits", b"c" * 100, 200, 300)
    assert response.status_code == 409
    assert "gap" in response.json()["error"]
    assert "csrftoken" in response.cookies


def test_chunk_overlap_is_refused(logged_in: SandboxWeb) -> None:
    logged_in.upload_chunk("lap.fits", b"a" * 100, 0, 300)
    response = logged_in.upload_chunk("lap.fits", b"b" * 100, 50, 300)
    assert response.status_code == 409
    assert "overlapping" in response.json()["error"]
    # the upload can still be completed in order
    assert logged_in.upload_chunk("lap.fits", b"b" * 200, 100, 300).status_code == 200
    assert logged_in.listing()["files"][0]["size"] == 300


def test_chunk_out_of_order_first_chunk_missing(logged_in: SandboxWeb) -> None:
    response = logged_in.upload_chunk("late.fits", b"z" * 100, 100, 200)
    assert response.status_code == 409
    assert logged_in.listing() == {"files": []}


@pytest.mark.parametrize("header", ["bytes 0-10", "bytes 5-1/10", "bytes 0-20/10", "chunks"])
def test_malformed_content_range(logged_in: SandboxWeb, header: str) -> None:
    token = logged_in.csrf("/upload/chunked/")
    response = logged_in.http.post(logged_in.url("/upload/chunked/"),
                                   files={"files": ("x.fits", b"abc")},
                                   data={"csrfmiddlewaretoken": token},
                                   headers={"Content-Range": header}, timeout=10)
    assert response.status_code == 400
    assert "Content-Range" in response.json()["error"]


def test_chunk_length_must_match_range(logged_in: SandboxWeb) -> None:
    token = logged_in.csrf("/upload/chunked/")
    response = logged_in.http.post(logged_in.url("/upload/chunked/"),
                                   files={"files": ("short.fits", b"abc")},
                                   data={"csrfmiddlewaretoken": token},
                                   headers={"Content-Range": "bytes 0-9/20"}, timeout=10)
    assert response.status_code == 400
    assert "announces 10" in response.json()["error"]


def test_file_too_large(sandbox_factory, tmp_path: Path) -> None:
    sb = sandbox_factory(settings=SandboxSettings(**FAST, max_file_size=1000))
    web = SandboxWeb(sb)
    web.login("miri")
    big = tmp_path / "big.fits"
    big.write_bytes(b"q" * 1500)
    single = web.upload(big)
    assert single.status_code == 413 and "1000" in single.json()["error"]
    chunked = web.upload_chunk("big.fits", b"q" * 500, 0, 1500)
    assert chunked.status_code == 413
    assert web.listing() == {"files": []}
    assert not list((sb.data_dir / "jwst" / "ingest" / sb.username).rglob("big.fits"))


def test_invalid_file_name(logged_in: SandboxWeb) -> None:
    token = logged_in.csrf("/upload/chunked/")
    response = logged_in.http.post(logged_in.url("/upload/chunked/"),
                                   files={"files": ("bad name$.fits", b"abc")},
                                   data={"csrfmiddlewaretoken": token}, timeout=10)
    assert response.status_code == 400 and "invalid file name" in response.json()["error"]


def test_upload_needs_csrf(logged_in: SandboxWeb) -> None:
    response = logged_in.http.post(logged_in.url("/upload/chunked/"),
                                   files={"files": ("x.fits", b"abc")}, timeout=10)
    assert response.status_code == 403


def test_ingest_needs_login(web: SandboxWeb, tmp_path: Path) -> None:
    response = web.get("/upload/list/")
    assert response.url.endswith("/login/?next=/upload/list/")
    assert web.get("/jpoll/open_channel").url.endswith("/login/?next=/jpoll/open_channel")


def test_users_have_separate_areas(sandbox_factory, tmp_path: Path) -> None:
    sb = sandbox_factory(settings=SandboxSettings(**FAST, extra_users={"bob": "b" * 32}))
    alice, bob = SandboxWeb(sb), SandboxWeb(sb, user="bob", token="b" * 32)
    alice.login("miri")
    bob.login("nircam")
    path = tmp_path / "mine.fits"
    path.write_bytes(b"alice")
    alice.upload(path)
    assert bob.listing() == {"files": []}
    assert alice.listing()["files"][0]["name"] == "mine.fits"


def _multipart(*parts: tuple[str, str | None, bytes]) -> tuple[bytes, str]:
    body = b""
    for name, filename, data in parts:
        file_part = f'; filename="{filename}"' if filename else ""
        body += (f'--xyz\r\nContent-Disposition: form-data; name="{name}"{file_part}\r\n\r\n'
                 .encode() + data + b"\r\n")
    return body + b"--xyz--\r\n", "multipart/form-data; boundary=xyz"


@pytest.mark.parametrize(("token_ok", "status"), [(True, 200), (False, 403)])
def test_token_after_the_file(logged_in: SandboxWeb, token_ok: bool, status: int) -> None:
    """A CSRF token sent after the file still counts; a wrong one undoes what was written."""
    token = logged_in.csrf("/upload/chunked/")
    body, content_type = _multipart(("files", "late_token.fits", b"d" * 5000),
                                    ("csrfmiddlewaretoken", None,
                                     token.encode() if token_ok else b"wrong"))
    response = logged_in.http.post(logged_in.url("/upload/chunked/"), data=body,
                                   headers={"Content-Type": content_type}, timeout=10)
    assert response.status_code == status
    names = [entry["name"] for entry in logged_in.listing()["files"]]
    assert names == (["late_token.fits"] if token_ok else [])


def test_refused_chunk_leaves_the_partial_file_as_it_was(sandbox, logged_in: SandboxWeb
                                                         ) -> None:
    logged_in.upload_chunk("kept.fits", b"a" * 100, 0, 300)
    token = logged_in.csrf("/upload/chunked/")
    body, content_type = _multipart(("csrfmiddlewaretoken", None, token.encode()),
                                    ("files", "kept.fits", b"b" * 50))
    response = logged_in.http.post(logged_in.url("/upload/chunked/"), data=body[:-20],
                                   headers={"Content-Type": content_type,
                                            "Content-Range": "bytes 100-199/300"}, timeout=10)
    assert response.status_code == 400 and "malformed" in response.json()["error"]
    assert (_ingest_dir(sandbox) / ".partial" / "kept.fits").read_bytes() == b"a" * 100


def test_a_post_that_is_not_multipart_is_refused(logged_in: SandboxWeb) -> None:
    response = logged_in.http.post(logged_in.url("/upload/chunked/"), data={"files": "x"},
                                   timeout=10)
    assert response.status_code == 403
