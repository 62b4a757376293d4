"""A server that answers with a redirect to another origin (another port on the same host, as
the cookies' domain rule would let through; or plain http): on every endpoint the client
speaks to, and with every redirect status, the token and the session's cookies never reach the
other origin. The redirect is refused with a clear error, never followed; nothing is posted
twice and no record claims a state the server did not confirm."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crds_deliver.record import load_record
from tests.bad_inputs.replies import RewritingProxy

# (case, method, path pattern) of every request an apply with auto_confirm makes (the upload
# page only after a refused token: see the test)
ENDPOINTS = [
    ("lock-status", "GET", r"^/lock_status/"),
    ("login-page", "GET", r"^/login/$"),
    ("login-post", "POST", r"^/login/$"),
    ("rpc", "POST", r"^/json/"),
    ("ingest-list", "GET", r"^/upload/list/"),
    ("upload-page", "GET", r"^/upload/chunked/"),
    ("upload-post", "POST", r"^/upload/chunked/"),
    ("open-channel", "GET", r"^/jpoll/open_channel"),
    ("submission-form", "GET", r"^/submission_form/redcat_submit/"),
    ("submission-post", "POST", r"^/submission_form/redcat_submit/"),
    ("results-page", "GET", r"^/display_result/"),
    ("confirm-post", "POST", r"^/submit_confirm"),
    ("logout", "GET", r"^/logout/"),
]
STATUSES = [301, 302, 303, 307, 308]


class Elsewhere:
    """Another origin (same host, other port) that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen.append(f"{self.command} {self.path}\n{self.headers}".encode() + body)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "13")
                self.end_headers()
                self.wfile.write(b"<html></html>")

            do_GET = do_POST = do_DELETE = _record

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def elsewhere():
    made = Elsewhere()
    yield made
    made.stop()


@pytest.fixture
def proxy(sandbox):
    made = RewritingProxy(sandbox.url)
    yield made
    made.stop()


def _redirect(method: str, pattern: str, status: int, target: str):
    def rewrite(m: str, path: str, _status: int, _body: bytes):
        if m == method and re.search(pattern, path):
            return status, "text/html", b"", {"Location": f"{target}/steal{path}"}
        return None
    return rewrite


def _refuse_first_upload_post():
    refused: list[str] = []

    def rewrite(method: str, path: str, _status: int, _body: bytes):
        if method == "POST" and path.startswith("/upload/chunked/") and not refused:
            refused.append(path)
            return 403, "text/html", b"CSRF verification failed. Request aborted."
        return None
    return rewrite


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("case,method,pattern", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_redirect_to_another_origin_is_not_followed(case, method, pattern, status,
                                                    delivery_repo, sandbox, proxy, elsewhere,
                                                    run_cli, ledger):
    proxy.rewrites.append(_redirect(method, pattern, status, elsewhere.url))
    if case == "upload-page":
        # the upload page is fetched only for a token the server refused (the ingest listing
        # sets the first): the first upload post is answered 403
        proxy.rewrites.append(_refuse_first_upload_post())
    repo = delivery_repo(files=1, options={"auto_confirm": "true"})
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env={"CRDS_SERVER_URL": proxy.url})
    sent = b"".join(elsewhere.requests)
    leaks = sent.count(sandbox.token.encode()) + result.output.count(sandbox.token)
    ledger.leaks(leaks)
    assert leaks == 0
    assert elsewhere.requests == []  # not followed at all, with or without credentials
    assert "Traceback" not in result.output
    ledger.posts(1 if sandbox.stats.submission_posts else 0, sandbox.stats.submission_posts)
    assert sandbox.stats.submission_posts <= 1
    if case in ("logout", "submission-post"):
        # A failed logout is not worth failing for; the post's own answer is not needed when
        # the progress channel reports the results page (the redirect is still not followed).
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code in (4, 5), result.output
        assert "not the configured server" in result.output, result.output
    data = load_record(repo.manifest)  # valid against the schema when it exists
    truthful = data is None or data["state"] != "CONFIRMED" or sandbox.stats.confirms == 1
    ledger.record_kept(truthful)
    assert truthful


def test_redirect_within_the_server_is_still_followed(delivery_repo, sandbox, proxy, run_cli,
                                                      ledger):
    """Redirects to the configured server itself (the sandbox's own trailing-slash and
    after-login redirects, and these) are followed as before."""
    def same_origin(method: str, path: str, _status: int, _body: bytes):
        if method == "GET" and path == "/upload/list/":
            return 307, "text/html", b"", {"Location": f"{proxy.url}upload/list/?again=1"}
        return None

    proxy.rewrites.append(same_origin)
    repo = delivery_repo(files=1)
    result = run_cli(["apply", "--yes", repo.manifest], sandbox, env={"CRDS_SERVER_URL": proxy.url})
    assert result.exit_code == 0, result.output
    ledger.posts(1, sandbox.stats.submission_posts)
    state = load_record(repo.manifest)["state"]
    ledger.record_kept(state == "READY")
    assert state == "READY"
