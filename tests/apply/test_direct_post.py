"""The upload's direct posts (crds/direct_post.py) behave as requests would for them: the
session's cookies go with every post and each answer's Set-Cookie comes back into the jar,
the session's headers and proxy apply, a redirect is returned rather than followed, and a
post that gets no answer is retried, then reported. Each test talks HTTP to a small recording
server on loopback."""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crds_deliver import __version__
from crds_deliver.crds.direct_post import DirectPost
from crds_deliver.crds.errors import ServerUnreachable
from crds_deliver.crds.http import Http, RedirectRefused, RequestEvent
from tests.fixtures.ports import closed_port


class _Recorder(BaseHTTPRequestHandler):
    """Keeps each post's target, headers and body; answers the n-th post with the cookie
    `csrftoken=t<n>` (or with `set_cookie` when it is set), or with a redirect to `redirect`
    when it is set."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the CRDS servers
    posts: list[tuple[str, dict[str, str], bytes]]
    redirect: str | None = None
    set_cookie: str | None = None

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append((self.path, dict(self.headers), body))
        self.send_response(302 if self.redirect else 200)
        if self.redirect:
            self.send_header("Location", self.redirect)
        self.send_header("Set-Cookie", self.set_cookie or f"csrftoken=t{len(self.posts)}; Path=/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@contextlib.contextmanager
def _recording(context: ssl.SSLContext | None = None) -> Iterator[tuple[type[_Recorder], int]]:
    """A recording server on 127.0.0.1 (behind TLS with `context`): (its handler, its port)."""
    handler = type("Handler", (_Recorder,), {"posts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield handler, server.server_port
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def recorder() -> Iterator[tuple[type[_Recorder], str]]:
    with _recording() as (handler, port):
        yield handler, f"http://127.0.0.1:{port}/"


def test_cookies_go_out_from_the_jar_and_come_back_into_it(recorder):
    handler, url = recorder
    http = Http(url)
    http.session.cookies.set("sessionid", "s1", domain="127.0.0.1", path="/")
    poster = DirectPost(http, "upload/chunked/")
    bodies = [b"first", b"second" * 1000, b""]
    sent: list[int] = []
    answers = [poster.post(memoryview(body), {"Content-Range": f"bytes {n}-{n}/3"},
                           on_sent=lambda n=n: sent.append(n))
               for n, body in enumerate(bodies)]
    http.close()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [body for _, _, body in handler.posts] == bodies
    assert sent == [0, 1, 2]  # once per post, the body being an iterable for that
    assert [headers["Cookie"] for _, headers, _ in handler.posts] == [
        "sessionid=s1", "sessionid=s1; csrftoken=t1", "sessionid=s1; csrftoken=t2"]
    assert http.session.cookies.get("csrftoken") == "t3"
    path, headers, _ = handler.posts[1]
    assert path == "/upload/chunked/"
    assert headers["Content-Length"] == str(len(bodies[1]))
    assert "Transfer-Encoding" not in headers  # sent as it is, not chunked
    assert headers["Content-Range"] == "bytes 1-1/3"
    assert headers["User-Agent"] == f"crds-deliver/{__version__}"
    assert headers["Referer"] == url  # Django checks it on HTTPS posts


def _next_second() -> None:
    """Wait for the wall clock's next whole second (http.cookiejar's unit of time)."""
    second = int(time.time())
    while int(time.time()) == second:
        time.sleep(0.01)


def _cookies_sent(handler: type[_Recorder]) -> list[str | None]:
    return [headers.get("Cookie") for _, headers, _ in handler.posts]


def test_the_same_answer_cookie_again_leaves_the_jar_as_requests_would(recorder):
    """Every chunk's answer sets the same csrftoken: the Cookie header and the jar follow
    a cookie changed or dropped by someone else between posts, a cookie that expires between
    posts is no longer sent, and a later second's answer extends a Max-Age cookie."""
    handler, url = recorder
    handler.set_cookie = "csrftoken=same; Max-Age=600; Path=/"
    http = Http(url)
    jar = http.session.cookies
    jar.set("sessionid", "s1", domain="127.0.0.1", path="/")
    poster = DirectPost(http, "upload/chunked/")

    def post() -> None:
        assert poster.post(memoryview(b"x"), {}).status_code == 200

    post()
    first_expiry = next(c.expires for c in jar if c.name == "csrftoken")
    jar.set("sessionid", "s2", domain="127.0.0.1", path="/")
    post()
    jar.clear("127.0.0.1", "/", "csrftoken")
    post()  # the same answer as the last, perhaps in the same second: the jar has it again
    assert jar.get("csrftoken") == "same"
    jar.set("brief", "b", domain="127.0.0.1", path="/", expires=int(time.time()) + 1)
    post()
    _next_second()
    _next_second()
    post()
    assert _cookies_sent(handler) == [
        "sessionid=s1", "sessionid=s2; csrftoken=same", "sessionid=s2",
        "sessionid=s2; csrftoken=same; brief=b", "sessionid=s2; csrftoken=same"]
    assert next(c.expires for c in jar if c.name == "csrftoken") >= first_expiry + 2
    http.close()


def test_a_redirect_is_returned_not_followed(recorder):
    handler, url = recorder
    handler.redirect = "/login/?next=/upload/chunked/"
    http = Http(url)
    answer = DirectPost(http, "upload/chunked/").post(memoryview(b"x"), {})
    http.close()
    assert (answer.status_code, answer.location) == (302, f"{url}login/?next=/upload/chunked/")
    assert len(handler.posts) == 1


def test_a_redirect_to_another_origin_is_refused(recorder):
    handler, url = recorder
    handler.redirect = f"http://127.0.0.1:{closed_port()}/steal/"
    http = Http(url)
    with pytest.raises(RedirectRefused, match="POST /upload/chunked/: .*HTTP 302.* not the "
                                              "configured server"):
        DirectPost(http, "upload/chunked/").post(memoryview(b"x"), {})
    http.close()
    assert len(handler.posts) == 1


def test_posts_go_through_the_proxy_of_the_environment(recorder, monkeypatch):
    """The server's address has nothing listening: the post can only arrive by way of the
    proxy, which was asked for the server's URL."""
    handler, proxy = recorder
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    server = f"http://localhost:{closed_port()}/"
    http = Http(server, retries=0)
    answer = DirectPost(http, "upload/chunked/").post(memoryview(b"x"), {})
    http.close()
    assert answer.status_code == 200
    assert [path for path, _, _ in handler.posts] == [f"{server}upload/chunked/"]


def test_a_post_without_answer_is_retried_then_reported():
    events: list[RequestEvent] = []
    http = Http(f"http://127.0.0.1:{closed_port()}/", retries=1, backoff=0,
                on_request=events.append)
    with pytest.raises(ServerUnreachable, match=r"\(ConnectionError: Connection refused\) "
                                                "after 2 attempt"):
        DirectPost(http, "upload/chunked/").post(memoryview(b"x"), {})
    http.close()
    assert [(e.method, e.path, e.status, e.attempt, e.error) for e in events] == [
        ("POST", "/upload/chunked/", None, 1, "ConnectionError: Connection refused"),
        ("POST", "/upload/chunked/", None, 2, "ConnectionError: Connection refused")]


@pytest.fixture
def tls_recorder(tmp_path) -> Iterator[tuple[type[_Recorder], str, str]]:
    """The recording server behind TLS, with a certificate for localhost from a throw-away
    CA: (the handler, the server's https URL, the CA's PEM file)."""
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    with _recording(context) as (handler, port):
        yield handler, f"https://localhost:{port}/", str(bundle)


def test_over_tls_the_certificate_is_verified_with_the_sessions_bundle(tls_recorder,
                                                                       monkeypatch):
    """The pool comes from requests' adapter with the session's `verify`: the environment's
    CA bundle lets the post through, and without it the same server's certificate is refused
    before any request is sent."""
    handler, url, bundle = tls_recorder
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    http = Http(url, retries=0)
    answer = DirectPost(http, "upload/chunked/").post(memoryview(b"over tls"), {})
    http.close()
    assert answer.status_code == 200
    assert [body for _, _, body in handler.posts] == [b"over tls"]

    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    events: list[RequestEvent] = []
    http = Http(url, retries=3, backoff=0, on_request=events.append)
    refused = r"the server's TLS certificate was refused \(SSLError: certificate verify failed"
    with pytest.raises(ServerUnreachable, match=refused):
        DirectPost(http, "upload/chunked/").post(memoryview(b"refused"), {})
    with pytest.raises(ServerUnreachable, match=refused):
        http.get("upload/chunked/")  # requests' own path says the same
    http.close()
    assert len(handler.posts) == 1
    assert [e.attempt for e in events] == [1, 1]  # the next attempt would be refused again
