"""A tiny HTTP server on 127.0.0.1 that publishes a given form description (and answers
get_server_info), for tests that must change what a server's form says."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from tests.fixtures.ports import closed_port

DESCRIPTION = "/submission_form/redcat_description.yml"


@contextmanager
def form_server(entries: list[dict] | str, server_info: dict | None = None) -> Iterator[str]:
    """Serve `entries` (a list dumped as YAML, or raw text) at the description path; yields the
    server's base URL."""
    body = (entries if isinstance(entries, str) else yaml.safe_dump(entries)).encode()
    info = server_info or {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path != DESCRIPTION:
                self.send_error(404)
                return
            self._send(body, "text/yaml")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            answer = {"jsonrpc": "1.0", "id": request.get("id"), "error": None,
                      "result": info if request.get("method") == "get_server_info" else None}
            self._send(json.dumps(answer).encode(), "application/json-rpc")

        def _send(self, data: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was bound, then released)."""
    return f"http://127.0.0.1:{closed_port()}/"
