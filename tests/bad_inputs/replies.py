"""A tiny rewriting proxy (http.server) in front of a sandbox: everything is forwarded, except
the answers a test chooses to replace, so a client meets one bad reply in an otherwise real
conversation (cookies, CSRF, uploads and the submission all go through)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

# (method, path, status, body) -> (status, content type, body[, extra headers]) to send
# instead, or None
Rewrite = Callable[[str, str, int, bytes], "tuple | None"]

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


class RewritingProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.rewrites: list[Rewrite] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.request(self.command, proxy.target + self.path, data=body,
                                          headers=headers, allow_redirects=False, timeout=60)
                status, content = answer.status_code, answer.content
                kind = answer.headers.get("Content-Type", "text/html")
                content = content.replace(proxy.target.encode(), proxy.url.rstrip("/").encode())
                extra: dict[str, str] = {}
                for rewrite in proxy.rewrites:
                    replaced = rewrite(self.command, self.path, status, content)
                    if replaced is not None:
                        status, kind, content = replaced[:3]
                        extra = replaced[3] if len(replaced) > 3 else {}
                        break
                self.send_response(status)
                for key, value in answer.raw.headers.items():
                    if key.lower() in _HOP or key.lower() == "content-type" or \
                            key.lower() in {k.lower() for k in extra}:
                        continue
                    self.send_header(key, value.replace(proxy.target, proxy.url.rstrip("/")))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
