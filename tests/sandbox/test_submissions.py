"""Submission POSTs: guards, server-side form checks, trapped errors, outcomes, confirm/cancel."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.fixtures.sandbox import REDCAT_FORM, SandboxWeb

REDCAT = "/submission_form/redcat_submit/"
BATCH = "/batch_submit_references/"


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _error(response) -> str | None:
    div = _soup(response).find("div", id="error_message")
    return div.string if div else None


def _status(response) -> str:
    return _soup(response).find(id="submission_status").string


@pytest.fixture
def ready_web(web: SandboxWeb, jwst_ref: Callable[..., Path]) -> SandboxWeb:
    """Logged in for MIRI with one valid dark uploaded and a channel open."""
    web.login("miri")
    web.upload(jwst_ref("my_dark.fits"))
    web.key = web.open_channel()
    return web


def _results_id(web: SandboxWeb) -> str:
    return web.wait_done(web.key)["data"]["result"].rsplit("/", 1)[-1]


def _finish(web: SandboxWeb, results_id: str, button: str,
            path: str = "/submit_confirm/"):
    token = web.csrf(f"/display_result/{results_id}")
    return web.http.post(web.url(path), data={"results_id": results_id, "button": button,
                                              "csrfmiddlewaretoken": token}, timeout=30)


@pytest.mark.parametrize("path", [REDCAT, BATCH])
def test_form_get_sets_csrf(ready_web: SandboxWeb, path: str) -> None:
    assert "csrftoken" in ready_web.get(path).cookies


def test_batch_submission_ready(sandbox, ready_web: SandboxWeb) -> None:
    response = ready_web.submit({"deliverer": None}, path=BATCH)  # batch has no ReDCaT fields
    assert _status(response) == "READY"
    assert sandbox.stats.submission_posts == 1


def test_post_without_session_goes_to_login(sandbox, web: SandboxWeb) -> None:
    web.get(REDCAT)
    response = web.http.post(web.url(REDCAT), data={"csrfmiddlewaretoken":
                                                    web.http.cookies["csrftoken"]}, timeout=10)
    assert response.url.endswith("/login/?next=" + REDCAT)
    assert sandbox.stats.submission_posts == 1


def test_bad_csrf_is_403(ready_web: SandboxWeb) -> None:
    response = ready_web.http.post(ready_web.url(REDCAT), data={"csrfmiddlewaretoken": "no"},
                                   timeout=10)
    assert response.status_code == 403
    assert ready_web.messages(ready_web.key) == []


def test_no_instrument_lock_is_trapped(web: SandboxWeb) -> None:
    web.login("none")
    response = web.submit()
    assert "without logging in for a particular instrument" in _error(response)


@pytest.mark.parametrize(("change", "expected"), [
    ({"deliverer": ""}, "'deliverer': this field is required"),
    ({"useafter_matches": "maybe"}, "'useafter_matches': select a valid choice"),
    ({"change_level": "HUGE"}, "'change_level': select a valid choice"),
    ({"description": "Darks <b>bold</b> & more"}, "'description': invalid character"),
    ({"deliverer": "x" * 101}, "'deliverer': ensure this value has at most 100 characters"),
    ({"calpipe_version": "x" * 501}, "'calpipe_version': ensure this value has at most 500"),
    ({"pmap_mode": "pmap_guess"}, "'pmap_mode'"),
    ({"pmap_mode": "pmap_text"}, "'pmap_text': a context name is required"),
    ({"pmap_mode": "pmap_text", "pmap_text": "jwst_0999.pmap"}, "Unknown context"),
    ({"instrument": "nircam"}, "does not match the instrument locked"),
])
def test_invalid_input_is_trapped_without_done(sandbox, ready_web: SandboxWeb, change: dict,
                                               expected: str) -> None:
    response = ready_web.submit(change)
    assert response.status_code == 200
    assert expected in _error(response)
    assert ready_web.messages(ready_web.key) == []  # no done: the POST answer is the only news
    assert ready_web.listing()["files"]  # nothing consumed


def test_description_error_names_characters(ready_web: SandboxWeb) -> None:
    message = _error(ready_web.submit({"description": "50% better; see #12"}))
    assert "'%'" in message and "';'" in message and "'#'" in message


def test_no_files_is_trapped(web: SandboxWeb) -> None:
    web.login("miri")
    assert _error(web.submit()) == "ERROR: No input files were specified."


def test_ready_page_and_channel(sandbox, ready_web: SandboxWeb) -> None:
    response = ready_web.submit()
    assert _status(response) == "READY"
    soup = _soup(response)
    assert soup.find(id="my_dark.fits").string == "jwst_miri_dark_0002.fits"
    assert soup.find("span", class_="certify_status").string in ("OK", "Warnings")
    assert soup.find(string=lambda s: s and "Logical Diff" in s) == \
        "Logical Diff ('jwst_miri_dark_0001.rmap', 'jwst_miri_dark_0002.rmap')"
    form = soup.find("form", action="/submit_confirm/")
    assert {b["value"] for b in form.find_all("button")} == {"confirm", "cancel", "force"}
    messages = ready_web.messages(ready_web.key)
    assert messages[-1]["type"] == "done" and messages[-1]["data"]["status"] == 0
    assert all(m["type"] == "log_message" for m in messages[:-1])
    # pending names are reserved but not yet delivered; the file info says so, and where
    # the pending submission can be reviewed
    assert sandbox.catalog.delivered("jwst_miri_dark_0002.fits") is None
    info = ready_web.rpc("get_file_info_map", "jwst", ["jwst_miri_dark_0002.fits"]
                         )["result"]["jwst_miri_dark_0002.fits"]
    assert info["state"] == "uploaded" and info["results_url"].endswith(
        f"/display_result/{_results_id(ready_web)}/")
    assert ready_web.listing() == {"files": []}  # the ingest area was consumed


def test_authenticated_result_needs_login(sandbox, ready_web: SandboxWeb) -> None:
    ready_web.submit()
    results_id = _results_id(ready_web)
    assert _status(ready_web.get(f"/authenticated_result/{results_id}")) == "READY"
    stranger = SandboxWeb(sandbox)
    assert stranger.get(f"/authenticated_result/{results_id}").url.endswith(
        f"/login/?next=/authenticated_result/{results_id}")
    assert _status(stranger.get(f"/display_result/{results_id}")) == "READY"


def test_auto_rename_off_keeps_name(sandbox, web: SandboxWeb, jwst_ref) -> None:
    web.login("miri")
    web.upload(jwst_ref("jwst_miri_dark_0043.fits"))
    response = web.submit({"auto_rename": "False"})
    assert _soup(response).find(id="jwst_miri_dark_0043.fits").string == \
        "jwst_miri_dark_0043.fits"


def test_bad_files_for_certify_errors(sandbox, web: SandboxWeb, jwst_ref) -> None:
    web.login("miri")
    web.upload(jwst_ref("broken.fits", {"REFTYPE": None}))
    web.key = web.open_channel()
    response = web.submit()
    assert _status(response) == "BAD FILES"
    assert _soup(response).find("span", class_="certify_status").string == "ERRORS"
    done = web.wait_done(web.key)
    assert done["data"]["status"] == 0  # as the real server: status 0 even for BAD FILES
    refused = _finish(web, _results_id(web), "confirm")
    assert "cannot be confirmed" in _error(refused)
    assert _status(_finish(web, _results_id(web), "cancel")) == "CANCELLED"


def test_confirm_then_second_confirm_fails(sandbox, ready_web: SandboxWeb) -> None:
    ready_web.submit()
    results_id = _results_id(ready_web)
    confirmed = _finish(ready_web, results_id, "confirm")
    soup = _soup(confirmed)
    assert soup.find(id="submission_status").string == "CONFIRMED"
    assert soup.find(id="my_dark.fits").a.text == "jwst_miri_dark_0002.fits"
    assert soup.find(id="jwst_0001.pmap").a.text == "jwst_0002.pmap"
    assert soup.find(id="jwst_miri_dark_0001.rmap").a.text == "jwst_miri_dark_0002.rmap"
    assert soup.find(id="jwst_miri_0001.imap").a.text == "jwst_miri_0002.imap"
    assert _status(ready_web.get(f"/display_result/{results_id}")) == "CONFIRMED"
    assert sandbox.catalog.edit_context == "jwst_0002.pmap"
    # logged out after confirming: the lock is gone and a second confirm is not possible
    assert ready_web.get(f"/lock_status/{sandbox.username}/").json()["name"] == ""
    ready_web.login("miri")
    again = _finish(ready_web, results_id, "confirm")
    assert _error(again) == "ERROR: This submission was already confirmed or cancelled."
    assert sandbox.stats.confirms == 1


def test_confirm_pipeline_url_and_reference_download(sandbox, ready_web, jwst_ref) -> None:
    ready_web.submit()
    _finish(ready_web, _results_id(ready_web), "confirm", "/submit_confirm_pipeline/")
    served = ready_web.get("/unchecked_get/references/jwst/jwst_miri_dark_0002.fits")
    assert served.status_code == 200
    info = ready_web.rpc("get_file_info_map", "jwst", ["jwst_miri_dark_0002.fits"],
                         ["size", "sha1sum"])["result"]["jwst_miri_dark_0002.fits"]
    assert int(info["size"]) == len(served.content)


def test_cancel_drops_pending_files(sandbox, ready_web: SandboxWeb) -> None:
    ready_web.submit()
    results_id = _results_id(ready_web)
    cancelled = _finish(ready_web, results_id, "cancel")
    assert _status(cancelled) == "CANCELLED"
    assert sandbox.stats.cancels == 1
    assert sandbox.catalog.file("jwst_miri_dark_0002.fits") is None
    assert sandbox.catalog.file("jwst_miri_dark_0002.rmap") is None
    assert sandbox.catalog.edit_context == "jwst_0001.pmap"
    assert not list((sandbox.data_dir / "jwst" / "staging").iterdir())


def test_confirm_without_lock_is_broken_lock(sandbox, ready_web: SandboxWeb) -> None:
    ready_web.submit()
    results_id = _results_id(ready_web)
    ready_web.login("nircam")  # switches the lock away from miri
    assert "BROKEN LOCK" in _error(_finish(ready_web, results_id, "confirm"))
    assert _status(_finish(ready_web, results_id, "force")) == "CONFIRMED"


def test_duplicate_of_delivered_file_is_rejected(sandbox, ready_web: SandboxWeb,
                                                 tmp_path: Path) -> None:
    ready_web.submit()
    _finish(ready_web, _results_id(ready_web), "confirm")
    ready_web.login("miri")
    ready_web.upload(tmp_path / "my_dark.fits")  # the very same bytes
    error = _error(ready_web.submit())
    assert error == ("ERROR: File 'my_dark.fits' is identical to existing CRDS file "
                     "'jwst_miri_dark_0002.fits'.")
    sha1 = ready_web.rpc("get_file_info_map", "jwst", None, ["sha1sum"])["result"]
    assert sha1["jwst_miri_dark_0002.fits"]["sha1sum"] == \
        sandbox.catalog.delivered("jwst_miri_dark_0002.fits")["sha1sum"]


def test_serials_continue_and_contexts_chain(sandbox, web: SandboxWeb, jwst_ref) -> None:
    for n, useafter in enumerate(["2026-01-01T00:00:00", "2026-02-01T00:00:00"], start=1):
        web.login("miri")
        web.upload(jwst_ref(f"dark_{n}.fits", {"USEAFTER": useafter}))
        web.key = web.open_channel()
        page = web.submit()
        assert _soup(page).find(id=f"dark_{n}.fits").string == \
            f"jwst_miri_dark_{n + 1:04d}.fits"  # the seed holds 0001
        _finish(web, _results_id(web), "confirm")
    assert sandbox.catalog.edit_context == "jwst_0003.pmap"
    rmap = sandbox.catalog.mapping_body("jwst_miri_dark_0003.rmap")
    assert sorted(e[2] for e in rmap["entries"]) == [
        "jwst_miri_dark_0001.fits", "jwst_miri_dark_0002.fits", "jwst_miri_dark_0003.fits"]


def test_concurrent_pending_submissions_rebase_on_confirm(sandbox_factory, jwst_ref) -> None:
    from crds_deliver.sandbox import SandboxSettings
    from tests.fixtures.sandbox import FAST
    sb = sandbox_factory(settings=SandboxSettings(**FAST, extra_users={"bob": "b" * 32}))
    alice, bob = SandboxWeb(sb), SandboxWeb(sb, user="bob", token="b" * 32)
    alice.login("miri")
    alice.upload(jwst_ref("a.fits", {"USEAFTER": "2026-03-01T00:00:00"}))
    alice.key = alice.open_channel()
    alice.submit()
    alice_id = _results_id(alice)
    alice.get("/logout/")
    bob.login("miri")
    bob.upload(jwst_ref("b.fits", {"USEAFTER": "2026-04-01T00:00:00"}))
    bob.key = bob.open_channel()
    assert _soup(bob.submit()).find(id="b.fits").string == "jwst_miri_dark_0003.fits"
    _finish(bob, _results_id(bob), "confirm")
    alice.login("miri")
    _finish(alice, alice_id, "confirm")
    imap = sb.catalog.mapping_body(sb.catalog.edit_context)["imaps"]["miri"]
    rmap = sb.catalog.mapping_body(imap)["rmaps"]["dark"]
    # Pending rmaps use no serial: bob's confirm made 0002, alice's is built on it as 0003.
    assert rmap == "jwst_miri_dark_0003.rmap"
    assert sb.catalog.file("jwst_miri_dark_0004.rmap") is None
    final = sb.catalog.mapping_body(rmap)
    assert sorted(e[2] for e in final["entries"]) == [
        "jwst_miri_dark_0001.fits", "jwst_miri_dark_0002.fits", "jwst_miri_dark_0003.fits"]


def test_monitor_page_shows_channel(sandbox, ready_web: SandboxWeb) -> None:
    ready_web.submit()
    page = _soup(ready_web.get(f"/monitor/{ready_web.key}/"))
    items = [li.get_text() for li in page.find_all("li")]
    assert any("Certifying 'my_dark.fits'" in item for item in items)
    assert page.find("li", class_="done") is not None
    assert ready_web.get("/monitor/nope/").status_code == 404


@pytest.mark.parametrize("path", ["/submit/reference/", "/submit/mapping/"])
def test_other_submission_kinds_are_trapped(sandbox, ready_web: SandboxWeb, path: str) -> None:
    assert "csrftoken" in ready_web.get(path).cookies
    assert "does not implement" in _error(ready_web.post_form(path, {}))
    assert ready_web.listing()["files"]  # nothing consumed


def test_old_upload_url(sandbox, web: SandboxWeb, tmp_path: Path) -> None:
    web.login("miri")
    path = tmp_path / "old_style.fits"
    path.write_bytes(b"abc")
    token = web.csrf("/upload/new/")
    with open(path, "rb") as handle:
        response = web.http.post(web.url("/upload/new/"), files={"files": (path.name, handle)},
                                 data={"csrfmiddlewaretoken": token}, timeout=10)
    assert response.json()["files"][0]["name"] == "old_style.fits"


def test_subarrays_get_their_own_rmap_entries(sandbox, web: SandboxWeb, jwst_ref) -> None:
    web.login("miri")
    web.upload(jwst_ref("sub128.fits", {"SUBARRAY": "SUB128"}))
    web.upload(jwst_ref("mask.fits", {"SUBARRAY": "MASK1065"}))
    web.key = web.open_channel()
    assert _status(web.submit()) == "READY"
    assert len(sandbox.catalog.mapping_body("jwst_miri_dark_0001.rmap")["entries"]) == 1
    page = _soup(web.get(f"/display_result/{_results_id(web)}"))
    assert "Logical Diff ('jwst_miri_dark_0001.rmap', 'jwst_miri_dark_0002.rmap')" in page.text
    _finish(web, _results_id(web), "confirm")
    entries = sandbox.catalog.mapping_body("jwst_miri_dark_0002.rmap")["entries"]
    subarrays = sorted(e[0][-1] for e in entries if e[0][0] == "MIRIMAGE")
    assert subarrays == ["MASK1065", "SUB128"]


def test_replacing_a_slot_is_reported(sandbox, web: SandboxWeb, jwst_ref) -> None:
    for n, descrip in enumerate(["first dark", "second dark"], start=1):
        web.login("miri")
        web.upload(jwst_ref(f"dark{n}.fits", {"DESCRIP": descrip}))
        web.key = web.open_channel()
        page = web.submit()
        _finish(web, _results_id(web), "confirm")
    assert _soup(page).find("p", class_="replaced").string == \
        "jwst_miri_dark_0003.fits replaces jwst_miri_dark_0002.fits"
    logs = [m["data"] for m in web.messages(web.key)]
    assert any("replaces" in str(m) for m in logs)
    entries = sandbox.catalog.mapping_body("jwst_miri_dark_0003.rmap")["entries"]
    assert sorted(e[2] for e in entries) == ["jwst_miri_dark_0001.fits",  # the seed's
                                             "jwst_miri_dark_0003.fits"]


def test_every_type_has_rules_in_the_seed(sandbox, web: SandboxWeb, jwst_ref) -> None:
    web.login("miri")
    web.upload(jwst_ref("photom.fits", {"REFTYPE": "PHOTOM", "DATAMODL": "MirImgPhotomModel",
                                        "PIXAR_A2": 0.0121, "PIXAR_SR": 2.84e-13}))
    web.key = web.open_channel()
    page = web.submit()
    assert _status(page) == "READY", page.text
    assert "Logical Diff ('jwst_miri_photom_0001.rmap', 'jwst_miri_photom_0002.rmap')" in \
        _soup(page).text
    _finish(web, _results_id(web), "confirm")
    names = web.rpc("get_mapping_names", sandbox.catalog.edit_context)["result"]
    assert "jwst_miri_photom_0002.rmap" in names and "jwst_miri_0002.imap" in names
    old = web.rpc("get_mapping_names", "jwst_0001.pmap")["result"]
    assert len(names) == len(old)  # one new rmap per replaced one (crds' old -> new pairs)


def test_certify_only_changes_nothing(sandbox, web: SandboxWeb, jwst_ref) -> None:
    web.login("miri")
    web.upload(jwst_ref("good.fits"))
    web.upload(jwst_ref("bad.fits", {"REFTYPE": None, "USEAFTER": "2026-03-01T00:00:00"}))
    key = web.open_channel()
    page = web.post_form("/certify/", {"pmap_mode": "pmap_edit",
                                       "compare_old_reference": "True"})
    assert _status(page) == "BAD FILES"
    statuses = {span.parent.parent.td.string: span.string
                for span in _soup(page).find_all("span", class_="certify_status")}
    assert statuses["good.fits"] in ("OK", "Warnings") and statuses["bad.fits"] == "ERRORS"
    assert _soup(page).find("form", action="/submit_confirm/") is None
    assert web.wait_done(key)["data"]["status"] == 0
    assert len(web.listing()["files"]) == 2  # the ingest area is left as it was
    assert sandbox.catalog.edit_context == "jwst_0001.pmap"
    assert sandbox.stats.submission_posts == 0
    results_id = web.wait_done(key)["data"]["result"].rsplit("/", 1)[-1]
    assert "nothing to confirm" in _error(_finish(web, results_id, "cancel"))
    web.get("/upload/delete/bad.fits")
    assert _status(web.post_form("/certify/", {})) == "CERTIFIED"


def _post_cut_after_headers(web: SandboxWeb, path: str, fields: dict) -> None:
    """Send a submission post's headers and part of its form, then hang up: a client killed
    between its two writes (urllib3 sends the headers, then the body)."""
    body = urlencode(fields).encode()
    parts = urlsplit(web.base)
    cookies = "; ".join(f"{k}={v}" for k, v in web.http.cookies.items())
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Cookie: {cookies}\r\nReferer: {web.base}/\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:len(body) // 2])
        conn.shutdown(socket.SHUT_WR)
        conn.recv(65536)  # the server's answer, or nothing once it hangs up


def test_post_cut_off_mid_form_is_no_submission(sandbox, ready_web: SandboxWeb) -> None:
    """A form that never fully arrived is not a post: nothing is certified or staged, the
    ingest area stays, and the complete post that follows is the delivery's one submission."""
    fields = dict(REDCAT_FORM, instrument="miri",
                  csrfmiddlewaretoken=ready_web.csrf(REDCAT))
    _post_cut_after_headers(ready_web, REDCAT, fields)
    assert sandbox.stats.submission_posts == 0
    assert ready_web.messages(ready_web.key) == []
    response = ready_web.submit()
    assert _status(response) == "READY"
    assert sandbox.stats.submission_posts == 1


def test_a_plain_submitted_file_is_read_once(sandbox_factory, hst_ref,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The duplicate checks' read (the sha1) is also the certification's, and crds's
    certifier is given the headers that read parsed: the sandbox opens a plainly standard
    submitted file once, though no plan in this process certified it before."""
    web = SandboxWeb(sandbox_factory("hst"))
    web.login("wfc3")
    path = hst_ref("a1b2c3d4i_bia.fits")
    web.upload(path)
    web.key = web.open_channel()
    opened: list[str] = []
    real_open = Path.open

    def counted(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        if self.name == path.name:
            opened.append(str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted)
    assert _status(web.submit({"file_type": "BIAS"}, instrument="wfc3")) == "READY"
    assert len(opened) == 1, opened
