"""The environment's proxy and CA-bundle settings apply to our sessions, read once per server
(crds/http.py `session_for`), the way requests itself would have read them on every request."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crds_deliver.crds.http import Http, session_for
from tests.fixtures.ports import closed_port


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                 "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_proxy_and_ca_bundle_are_taken_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/site-ca.pem")
    session = session_for("https://jwst-crds.stsci.edu/")
    assert session.proxies["https"] == "http://proxy.example:3128"
    assert session.verify == "/etc/site-ca.pem"
    assert not session.trust_env  # not read again per request


def test_no_proxy_exempts_the_server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", ".stsci.edu")
    session = session_for("https://jwst-crds.stsci.edu/")
    assert "https" not in session.proxies
    assert session.verify is True



class _ForwardProxy(BaseHTTPRequestHandler):
    """Answers every request itself, keeping the request target it was asked for."""

    targets: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        self.targets.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"via proxy")


def test_requests_go_through_the_proxy_of_the_environment(monkeypatch: pytest.MonkeyPatch):
    """A server address where nothing listens, and a proxy in HTTP_PROXY: the answer can only
    come by way of the proxy, which was asked for the server's URL."""
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _ForwardProxy)
    threading.Thread(target=proxy.serve_forever, args=(0.05,), daemon=True).start()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
    server = f"http://localhost:{closed_port()}/"
    http = Http(server, retries=0)
    try:
        response = http.get("login/")
    finally:
        http.close()
        proxy.shutdown()
        proxy.server_close()
    assert (response.status_code, response.text) == (200, "via proxy")
    assert _ForwardProxy.targets == [f"{server}login/"]
