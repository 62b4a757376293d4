"""Bad answers from the server, served by a rewriting proxy in front of the sandbox: malformed
JSON, HTML where JSON was expected, JSON-RPC error objects, a `done` without a URL, a results
page without the expected elements. Each ends in a clear error and exit 1 through the real CLI
(or, where the tool can still tell, a correct delivery), never a traceback, and never a record
claiming a state the server did not confirm."""

from __future__ import annotations

import json
import re

import pytest

from crds_deliver.record import record_path
from tests.bad_inputs.replies import RewritingProxy
from tests.faults.helpers import ingest_names, local_files, record_data, server_has_exactly

HTML = "text/html; charset=utf-8"
JSON = "application/json"


def _on(method: str, pattern: str, status: int, kind: str, body: bytes):
    def rewrite(m: str, path: str, _status: int, _body: bytes):
        if m == method and re.search(pattern, path):
            return status, kind, body
        return None
    return rewrite


def _rpc(method: str, status: int, kind: str, body: bytes):
    return _on("POST", rf"^/json/{method}/", status, kind, body)


def _done_without_url(method: str, path: str, status: int, body: bytes):
    if method != "POST" or not path.startswith("/json/jpoll_pull_messages/"):
        return None
    answer = json.loads(body)
    for message in answer.get("result") or []:
        if message.get("type") == "done":
            message["data"].pop("result", None)
    return status, JSON, json.dumps(answer).encode()


# case: (rewrite, words the error must hold, or None when the delivery must still succeed)
EARLY = {
    "rpc-malformed-json": (_rpc("get_server_info", 200, JSON, b'{"result": {"ed'),
                           "not JSON"),
    "rpc-html-instead-of-json": (_rpc("get_server_info", 200, HTML,
                                      b"<html><body><h1>Maintenance</h1></body></html>"),
                                 "not JSON"),
    "rpc-error-object": (_rpc("get_file_info_map", 200, JSON, json.dumps(
        {"id": 1, "result": None, "error": {"name": "CrdsError",
                                            "message": "database is locked"}}).encode()),
                         "database is locked"),
    "rpc-error-string": (_rpc("get_server_info", 200, JSON,
                              b'{"id": 1, "result": null, "error": "Internal"}'), "Internal"),
    "rpc-answer-is-a-list": (_rpc("get_server_info", 200, JSON, b"[1, 2, 3]"),
                             "get_server_info"),
    "rpc-result-wrong-type": (_rpc("get_file_info_map", 200, JSON,
                                   b'{"id": 1, "result": "nope", "error": null}'),
                              "get_file_info_map"),
    "lock-status-html": (_on("GET", r"^/lock_status/", 200, HTML, b"<html>login</html>"),
                         "lock_status"),
    "upload-list-html": (_on("GET", r"^/upload/list", 200, HTML,
                             b"<html><body>Server Error</body></html>"), "upload/list"),
    "upload-list-wrong-shape": (_on("GET", r"^/upload/list", 200, JSON,
                                    b'{"files": [{"nom": "x"}]}'), "upload/list"),
    "channel-key-not-a-key": (_on("GET", r"^/jpoll/open_channel", 200, JSON,
                                  b'{"key": "<script>"}'), "channel key"),
    "login-page-with-an-error": (_on("GET", r"^/login/?$", 200, HTML,
                                     b"<div id='error_message'>ERROR: Service down</div>"),
                                 "Service down"),
}


@pytest.fixture
def proxy(sandbox):
    made = RewritingProxy(sandbox.url)
    yield made
    made.stop()


def _env(proxy: RewritingProxy) -> dict[str, str]:
    return {"CRDS_SERVER_URL": proxy.url}


@pytest.mark.parametrize("case", sorted(EARLY))
def test_bad_reply_before_the_post_fails_clearly_and_leaves_nothing(case, delivery_repo,
                                                                    sandbox, proxy, run_cli,
                                                                    ledger):
    rewrite, words = EARLY[case]
    proxy.rewrites.append(rewrite)
    repo = delivery_repo(files=1)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env=_env(proxy))
    assert result.exit_code == 4, result.output
    assert words in result.output, result.output
    assert f"{repo.manifest}: error:" in result.output
    assert "Traceback" not in result.output
    ledger.posts(0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 0
    ledger.record_kept(not record_path(repo.manifest).exists())
    assert not record_path(repo.manifest).exists()
    assert ingest_names(sandbox) == []


def test_done_without_url_still_finds_the_results_page(delivery_repo, sandbox, proxy, run_cli,
                                                       ledger):
    proxy.rewrites.append(_done_without_url)
    repo = delivery_repo(files=1)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env=_env(proxy))
    assert result.exit_code == 0, result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "READY" and bool(data["submission"]["results_id"]))
    assert data["state"] == "READY"
    assert server_has_exactly(sandbox, local_files(repo.manifest))


def test_done_without_url_and_no_results_page_stays_resumable(delivery_repo, sandbox, proxy,
                                                              run_cli, ledger):
    proxy.rewrites.append(_done_without_url)
    proxy.rewrites.append(_on("GET", r"^/display_result/", 200, HTML,
                              b"<html><body><p>Please wait</p></body></html>"))
    repo = delivery_repo(files=1)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env=_env(proxy))
    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] in ("SUBMITTING", "SUBMITTED"))
    assert data["state"] in ("SUBMITTING", "SUBMITTED")  # never READY: the page did not say
    proxy.rewrites.clear()
    again = run_cli(["apply", "--yes", repo.manifest], sandbox, env=_env(proxy))
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1
    assert again.exit_code in (0, 1)


def test_results_page_without_the_expected_elements_is_not_ready(delivery_repo, sandbox, proxy,
                                                                 run_cli, ledger):
    proxy.rewrites.append(_on("GET", r"^/display_result/", 200, HTML,
                              b"<html><body><table><tr><td>?</td></tr></table></body></html>"))
    repo = delivery_repo(files=1)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env=_env(proxy))
    assert result.exit_code == 5, result.output
    assert "does not say whether the files passed" in result.output
    assert "Traceback" not in result.output
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "SUBMITTED")
    assert data["state"] == "SUBMITTED"
    proxy.rewrites.clear()  # the page is back: a re-run reads it, without posting again
    again = run_cli(["apply", "--yes", repo.manifest], sandbox, env=_env(proxy))
    assert again.exit_code == 0, again.output
    assert record_data(repo.manifest)["state"] == "READY"
    ledger.posts(1, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts == 1


def test_confirmation_page_with_an_error_keeps_ready(delivery_repo, sandbox, proxy, run_cli,
                                                     ledger):
    repo = delivery_repo(files=1)
    assert run_cli(["apply", "--yes", repo.manifest], sandbox, env=_env(proxy)).exit_code == 0
    proxy.rewrites.append(_on("POST", r"^/submit_confirm", 200, HTML,
                              b"<html><div id='error_message'>ERROR: Database busy</div></html>"))
    result = run_cli(["confirm", repo.manifest], sandbox, env=_env(proxy))
    assert result.exit_code == 4, result.output
    assert "Database busy" in result.output and "Traceback" not in result.output
    data = record_data(repo.manifest)
    ledger.record_kept(data["state"] == "READY")
    assert data["state"] == "READY"
    ledger.posts(1, sandbox.stats.submission_posts)
