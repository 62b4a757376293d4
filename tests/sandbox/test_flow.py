"""A whole delivery over real HTTP: login, upload, submit, monitor, results, confirm, catalog."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.fixtures.sandbox import SandboxWeb


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def test_delivery_end_to_end(sandbox, web: SandboxWeb, jwst_ref) -> None:
    path = jwst_ref("my_dark.fits")
    assert web.login("miri").status_code == 200
    assert web.upload(path).status_code == 200
    assert web.listing()["files"][0]["name"] == "my_dark.fits"
    key = web.open_channel()
    response = web.submit()
    assert response.status_code == 200
    assert "/display_result/" in response.url
    soup = _soup(response)
    assert soup.find(id="submission_status").string == "READY"
    assert soup.find(id="my_dark.fits").string == "jwst_miri_dark_0002.fits"
    assert "Logical Diff ('jwst_miri_dark_0001.rmap', 'jwst_miri_dark_0002.rmap')" in \
        response.text
    done = web.wait_done(key)
    assert done["data"]["status"] == 0
    assert done["data"]["result"].startswith(sandbox.url + "/display_result/")  # double slash
    logs = [m["data"] for m in web.messages(key) if m["type"] == "log_message"]
    assert any("Certifying &#x27;my_dark.fits&#x27;" in m for m in logs)
    ids = [m["id"] for m in web.messages(key)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    results_id = done["data"]["result"].rsplit("/", 1)[-1]
    token = web.csrf(f"/display_result/{results_id}")
    confirmed = web.http.post(web.url("/submit_confirm_pipeline/"), timeout=30, data={
        "results_id": results_id, "button": "confirm", "csrfmiddlewaretoken": token})
    assert confirmed.status_code == 200
    page = _soup(confirmed)
    assert page.find(id="submission_status").string == "CONFIRMED"
    assert page.find(id="my_dark.fits").a.text == "jwst_miri_dark_0002.fits"
    assert page.find(id="jwst_0001.pmap").a.text == "jwst_0002.pmap"
    assert sandbox.stats.confirms == 1 and sandbox.stats.submission_posts == 1

    info = web.rpc("get_server_info")["result"]
    assert info["edit_context"] == "jwst_0002.pmap"
    names = web.rpc("get_mapping_names", "jwst_0002.pmap")["result"]
    assert names == sorted(names) and "jwst_miri_dark_0002.rmap" in names
    file_map = web.rpc("get_file_info_map", "jwst", ["jwst_miri_dark_0002.fits", "nope.fits"],
                       ["sha1sum", "size"])["result"]
    assert file_map["nope.fits"] == "NOT FOUND"
    assert file_map["jwst_miri_dark_0002.fits"]["size"] == str(path.stat().st_size)
    # The lock is gone: the user was logged out after confirming.
    assert web.get(f"/lock_status/{sandbox.username}/").json()["name"] == ""


def test_token_never_stored_or_shown(sandbox, web: SandboxWeb, jwst_ref) -> None:
    web.login("miri")
    web.upload(jwst_ref("d.fits"))
    key = web.open_channel()
    page = web.submit()
    texts = [page.text, str(web.messages(key)), str(web.rpc("get_server_info"))]
    assert all(sandbox.token not in text for text in texts)
    for path in sandbox.data_dir.rglob("*"):
        if path.is_file():
            assert sandbox.token.encode() not in path.read_bytes(), path


def test_simultaneous_submissions_get_distinct_serials(sandbox_factory, jwst_ref) -> None:
    import threading

    from crds_deliver.sandbox import SandboxSettings
    from tests.fixtures.fits import write_nircam_dark
    from tests.fixtures.sandbox import FAST

    sb = sandbox_factory(settings=SandboxSettings(**FAST, extra_users={"bob": "b" * 32}))
    alice, bob = SandboxWeb(sb), SandboxWeb(sb, user="bob", token="b" * 32)
    alice.login("miri")
    bob.login("nircam")
    miri = jwst_ref("a.fits")
    alice.upload(miri)
    bob.upload(write_nircam_dark(miri.parent / "b.fits"))
    pages: dict[str, str] = {}

    def submit(who: SandboxWeb, name: str, instrument: str) -> None:
        pages[name] = who.submit(instrument=instrument).text

    threads = [threading.Thread(target=submit, args=(alice, "a.fits", "miri")),
               threading.Thread(target=submit, args=(bob, "b.fits", "nircam"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = {n: BeautifulSoup(pages[n], "html.parser").find(id=n).string for n in pages}
    assert names["a.fits"] == "jwst_miri_dark_0002.fits"
    assert names["b.fits"] == "jwst_nircam_dark_0002.fits"
    assert sb.stats.submission_posts == 2
