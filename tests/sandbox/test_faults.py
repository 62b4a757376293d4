"""Fault switches: each one changes exactly the requests it names, then the server recovers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

from tests.fixtures.sandbox import SandboxWeb


@pytest.fixture
def logged_in(web: SandboxWeb) -> SandboxWeb:
    web.login("miri")
    return web


def _status(response) -> str:
    return BeautifulSoup(response.text, "html.parser").find(id="submission_status").string


def test_fail_nth_chunk(sandbox, logged_in: SandboxWeb) -> None:
    sandbox.faults.fail_chunk(2)
    assert logged_in.upload_chunk("c.fits", b"a" * 10, 0, 30).status_code == 200
    failed = logged_in.upload_chunk("c.fits", b"b" * 10, 10, 30)
    assert failed.status_code == 500 and "csrftoken" in failed.cookies
    # the lost chunk can be sent again and the upload completes
    assert logged_in.upload_chunk("c.fits", b"b" * 10, 10, 30).status_code == 200
    assert logged_in.upload_chunk("c.fits", b"c" * 10, 20, 30).status_code == 200
    assert logged_in.listing()["files"][0]["size"] == 30


def test_drop_connection(sandbox, web: SandboxWeb) -> None:
    sandbox.faults.drop_connection(count=1, path_prefix="/json/")
    assert web.get("/login/").status_code == 200  # other paths unaffected
    with pytest.raises(requests.ConnectionError):
        web.rpc("get_server_info")
    assert web.rpc("get_server_info")["error"] is None


def test_drop_after_processing_loses_only_the_answer(sandbox, logged_in, jwst_ref) -> None:
    from tests.fixtures.sandbox import REDCAT_FORM

    logged_in.upload(jwst_ref("d.fits"))
    key = logged_in.open_channel()
    token = logged_in.csrf("/submission_form/redcat_submit/")
    sandbox.faults.drop_connection(path_prefix="/submission_form/", after_processing=True)
    with pytest.raises(requests.ConnectionError):
        logged_in.http.post(logged_in.url("/submission_form/redcat_submit/"), timeout=30,
                            data=dict(REDCAT_FORM, instrument="miri",
                                      csrfmiddlewaretoken=token))
    assert logged_in.wait_done(key)["data"]["status"] == 0  # processed all the same
    assert sandbox.stats.submission_posts == 1
    assert sandbox.catalog.file("jwst_miri_dark_0002.fits")["state"] == "submitted"


def test_error_status_for_prefix_and_count(sandbox, web: SandboxWeb) -> None:
    sandbox.faults.error_status(502, count=2, path_prefix="/upload/")
    web.login("miri")
    assert web.get("/upload/list/").status_code == 502
    assert web.get("/upload/list/").status_code == 502
    assert web.get("/upload/list/").status_code == 200


def test_error_status_any_path(sandbox) -> None:
    sandbox.faults.error_status(500)
    assert requests.get(sandbox.url, timeout=10).status_code == 500
    assert requests.get(sandbox.url, timeout=10).status_code == 200


def test_delay(sandbox, web: SandboxWeb) -> None:
    sandbox.faults.delay(0.5, path_prefix="/lock_status/")
    started = time.monotonic()
    web.get("/lock_status/x/")
    assert time.monotonic() - started >= 0.5


def test_hold_lock_blocks_submission_of_logged_in_user(sandbox, logged_in, jwst_ref) -> None:
    logged_in.upload(jwst_ref("d.fits"))
    sandbox.faults.hold_lock("miri", "intruder")
    response = logged_in.submit()
    assert "particular instrument" in BeautifulSoup(response.text, "html.parser").find(
        id="error_message").string
    assert logged_in.get("/lock_status/intruder/").json()["name"] == "miri"
    sandbox.faults.release_lock("miri")
    assert _status(logged_in.submit()) == "READY"


def test_expire_sessions(sandbox, logged_in: SandboxWeb) -> None:
    sandbox.faults.expire_sessions()
    assert logged_in.get("/upload/list/").url.endswith("/login/?next=/upload/list/")


def test_end_submission_in_fail(sandbox, logged_in: SandboxWeb, jwst_ref) -> None:
    logged_in.upload(jwst_ref("d.fits"))
    key = logged_in.open_channel()
    sandbox.faults.end_next_submission("FAIL")
    assert _status(logged_in.submit()) == "FAIL"
    done = logged_in.wait_done(key)
    assert done["data"]["status"] == 1
    assert sandbox.catalog.file("jwst_miri_dark_0002.fits") is None  # nothing left pending


def test_end_submission_in_bad_files(sandbox, logged_in: SandboxWeb, jwst_ref) -> None:
    logged_in.upload(jwst_ref("d.fits"))
    sandbox.faults.end_next_submission("BAD FILES")
    assert _status(logged_in.submit()) == "BAD FILES"


def test_missing_csrf_cookie(sandbox, web: SandboxWeb) -> None:
    sandbox.faults.omit_csrf_cookie()
    assert "csrftoken" not in requests.get(sandbox.url + "login/", timeout=10).cookies
    assert "csrftoken" in requests.get(sandbox.url + "login/", timeout=10).cookies


def test_trapped_error_without_done(sandbox, logged_in: SandboxWeb, jwst_ref) -> None:
    logged_in.upload(jwst_ref("d.fits"))
    key = logged_in.open_channel()
    sandbox.faults.trap_next_submission("internal server error")
    response = logged_in.submit()
    div = BeautifulSoup(response.text, "html.parser").find(id="error_message")
    assert div.string == "ERROR: internal server error"
    assert logged_in.messages(key) == []
    assert sandbox.stats.submission_posts == 1


def test_jpoll_abort_ends_submission_in_fail(sandbox, logged_in, jwst_ref) -> None:
    logged_in.upload(jwst_ref("d.fits"))
    key = logged_in.open_channel()
    assert logged_in.rpc("jpoll_abort", key)["result"] == "ok"
    assert _status(logged_in.submit()) == "FAIL"
    assert logged_in.wait_done(key)["data"]["status"] == 1


def test_faults_are_thread_safe_counters(sandbox) -> None:
    sandbox.faults.error_status(503, count=20)
    codes: list[int] = []

    def hit() -> None:
        codes.append(requests.get(sandbox.url, timeout=10).status_code)

    threads = [threading.Thread(target=hit) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes.count(503) == 20 and codes.count(200) == 10


def test_clear(sandbox, tmp_path: Path) -> None:
    sandbox.faults.error_status(500, count=5)
    sandbox.faults.clear()
    assert requests.get(sandbox.url, timeout=10).status_code == 200
