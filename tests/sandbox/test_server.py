"""The sandbox's HTTP server: connections kept alive, requests served by several threads at
once, the crds client's `//path` URLs accepted, requests logged only when asked, and a port
that cannot be bound reported as a SandboxError."""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import threading
from urllib.parse import urlsplit

import pytest
import requests

from crds_deliver.sandbox import Sandbox, SandboxError


def _connection(sandbox: Sandbox) -> http.client.HTTPConnection:
    parts = urlsplit(sandbox.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def test_one_connection_serves_many_requests(sandbox):
    connection = _connection(sandbox)
    sockets = []
    for path in ("/login/", "//login/", "/json/"):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status in (200, 405), path
        assert not response.will_close, path  # HTTP/1.1 keep-alive: no Connection: close
        sockets.append(connection.sock)
    assert sockets[0] is sockets[1] is sockets[2]
    connection.close()


def test_a_slow_request_does_not_hold_up_the_others(sandbox):
    sandbox.faults.delay(20.0, count=1, path_prefix="/upload/list/")
    slow_done = threading.Event()

    def slow() -> None:
        with contextlib.suppress(requests.RequestException):  # the server may stop first
            requests.get(sandbox.url + "upload/list/", timeout=25)
        slow_done.set()

    threading.Thread(target=slow, daemon=True).start()
    while sandbox.stats.requests == 0:  # the slow request has reached the application
        slow_done.wait(0.01)
    for _ in range(3):
        assert requests.get(sandbox.url + "login/", timeout=10).status_code == 200
    assert not slow_done.is_set()  # still held in its own worker thread


def test_requests_are_logged_only_when_asked(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="crds_deliver.sandbox")
    quiet = Sandbox(tmp_path / "quiet").start()
    try:
        requests.get(quiet.url + "login/", timeout=10)
    finally:
        quiet.stop()
    assert not [r for r in caplog.records if "/login/" in r.getMessage()]
    logged = Sandbox(tmp_path / "logged").start(log_requests=True)
    try:
        requests.get(logged.url + "login/", timeout=10)
    finally:
        logged.stop()
    assert any(r.getMessage() == "GET /login/ 200" for r in caplog.records)


def test_a_taken_port_is_a_sandbox_error(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = Sandbox(tmp_path / "data")
        with pytest.raises(SandboxError, match=f"127.0.0.1:{port}"):
            server.start(port=port)
        server.stop()
