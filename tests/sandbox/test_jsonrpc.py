"""JSON-RPC at any /json/... path, the calls clients make, the jpoll channel, rule downloads."""

from __future__ import annotations

import base64
import gzip
import json
import re

import pytest
import requests

from tests.fixtures.sandbox import SandboxWeb


def _call(url: str, method: str, *params: object, **kw) -> requests.Response:
    body = json.dumps({"jsonrpc": "1.0", "method": method, "params": list(params), "id": "x-1"})
    return requests.post(url, data=body, timeout=10, **kw)


@pytest.mark.parametrize("suffix", ["json/", "json/get_server_info/crds-14-abc-00000001/",
                                    "/json/anything/at/all"])
def test_any_json_path_and_content_type(sandbox, suffix: str) -> None:
    response = _call(sandbox.url + suffix, "get_server_info",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json-rpc"
    answer = response.json()
    assert answer["error"] is None and answer["id"] == "x-1"
    assert answer["result"]["observatory"] == "jwst"


def test_server_info_fields(sandbox, web: SandboxWeb) -> None:
    info = web.rpc("get_server_info")["result"]
    assert info["edit_context"] == info["operational_context"] == "jwst_0001.pmap"
    assert info["bad_files_list"] == []
    assert isinstance(info["crds_version"]["str"], str)
    mapping_url = info["mapping_url"]["unchecked"]["jwst"]
    assert mapping_url == sandbox.url + "unchecked_get/mappings/jwst/"
    assert info["reference_url"]["unchecked"]["jwst"].startswith(sandbox.url)
    payload = info["download_metadata"]
    assert payload["crds_encoded"] == "1.0"
    metadata = json.loads(gzip.decompress(base64.b64decode(payload["crds_payload"])))
    assert metadata["jwst_0001.pmap"]["sha1sum"]
    pmap = requests.get(mapping_url + "jwst_0001.pmap", timeout=10)
    assert pmap.status_code == 200
    assert str(len(pmap.content)) == metadata["jwst_0001.pmap"]["size"]


def test_errors_are_http_200_with_error_object(web: SandboxWeb) -> None:
    answer = web.rpc("no_such_method")
    assert answer["result"] is None
    assert answer["error"]["message"].startswith("OtherError: ")
    bad = requests.post(web.url("/json/"), data="not json", timeout=10)
    assert bad.status_code == 200 and bad.json()["error"] is not None


def test_contexts_and_mapping_names(web: SandboxWeb) -> None:
    assert web.rpc("get_default_context", "jwst", "edit")["result"] == "jwst_0001.pmap"
    assert web.rpc("get_default_context", "jwst")["result"] == "jwst_0001.pmap"
    assert web.rpc("get_context_by_date", "jwst-edit", "jwst")["result"] == "jwst_0001.pmap"
    assert web.rpc("get_context_by_date", "2999-01-01T00:00:00", "jwst")["result"] == \
        "jwst_0001.pmap"
    assert web.rpc("get_context_by_date", "1999-01-01", "jwst")["result"] == "N/A"
    assert web.rpc("get_context_by_date", "jwst-miri-2999-01-01T00:00:00")["result"] == \
        "jwst_miri_0001.imap"
    assert web.rpc("get_context_by_date", "jwst-miri-dark-2999-01-01")["result"] == \
        "jwst_miri_dark_0001.rmap"
    assert web.rpc("get_context_by_date", "jwst-miri-nosuch-2999-01-01")["result"] == "N/A"
    names = web.rpc("get_mapping_names", "jwst_0001.pmap")["result"]
    assert names[0] == "jwst_0001.pmap" and names == sorted(names)
    assert "jwst_miri_dark_0001.rmap" in names and "jwst_miri_0001.imap" in names
    assert web.rpc("get_mapping_names", "jwst_9999.pmap")["error"] is not None
    assert web.rpc("list_mappings", "jwst", "*.pmap")["result"] == ["jwst_0001.pmap"]
    seeded = web.rpc("list_references", "jwst", "*")["result"]
    assert "jwst_miri_dark_0001.fits" in seeded and seeded == sorted(seeded)
    assert web.rpc("list_references", "jwst", "*_dark_*")["result"][0] == \
        "jwst_fgs_dark_0001.fits"
    assert web.rpc("get_default_context", "hst")["error"] is not None


def test_file_info(web: SandboxWeb) -> None:
    infos = web.rpc("get_file_info_map", "jwst", None, ["sha1sum"])["result"]
    assert set(infos["jwst_0001.pmap"]) == {"sha1sum"}
    info = web.rpc("get_file_info", "jwst_0001.pmap", "jwst_miri_dark_0001.rmap")["result"]
    assert info["name"] == "jwst_miri_dark_0001.rmap" and info["size"].isdigit()
    assert web.rpc("get_file_info", "jwst_0001.pmap", "missing.fits")["error"] is not None


def test_jpoll_channel(sandbox, web: SandboxWeb) -> None:
    web.login("miri")
    key = web.open_channel()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", key)
    assert web.messages(key) == []
    other = SandboxWeb(sandbox)
    other.login("miri")
    other_key = other.open_channel()
    first = sandbox.catalog.push_message(key, "log_message", "one")
    second = sandbox.catalog.push_message(other_key, "log_message", "two")
    third = sandbox.catalog.push_message(key, "log_message", "three")
    assert first < second < third  # one id sequence for all channels
    assert [m["data"] for m in web.messages(key)] == ["one", "three"]
    assert [m["id"] for m in web.messages(key, first)] == [third]
    message = web.messages(key)[0]
    assert set(message) == {"channel", "id", "time", "type", "data"}
    assert message["channel"] == key


def test_unknown_channel(web: SandboxWeb) -> None:
    error = web.rpc("jpoll_pull_messages", "0000-nope", "0")["error"]["message"]
    assert "Channel" in error and "not found" in error
    assert "not found" in web.rpc("jpoll_abort", "0000-nope")["error"]["message"]


def test_mapping_files_load_in_crds(sandbox, tmp_path, monkeypatch) -> None:
    rmap = pytest.importorskip("crds.core.rmap")
    monkeypatch.setenv("CRDS_PATH", str(tmp_path))
    monkeypatch.setenv("CRDS_MAPPATH", str(tmp_path / "mappings"))
    folder = tmp_path / "mappings" / "jwst"
    folder.mkdir(parents=True)
    for name in _call(sandbox.url + "json/", "get_mapping_names", "jwst_0001.pmap"
                      ).json()["result"]:
        data = requests.get(f"{sandbox.url}unchecked_get/mappings/jwst/{name}", timeout=10)
        (folder / name).write_bytes(data.content)
    loaded = rmap.load_mapping(str(folder / "jwst_0001.pmap"))
    assert loaded.get_imap("miri").get_rmap("dark").basename == "jwst_miri_dark_0001.rmap"


def test_unchecked_get_unknown_file_is_404(sandbox) -> None:
    assert requests.get(sandbox.url + "unchecked_get/mappings/jwst/jwst_0099.pmap",
                        timeout=10).status_code == 404
    assert requests.get(sandbox.url + "unchecked_get/references/hst/jwst_0001.pmap",
                        timeout=10).status_code == 404
