"""Repeated posts to one URL of the server, through the connection pool requests keeps for
it but without the rest of requests: for the chunks of the uploads.

Why: requests spends about a millisecond and a half of CPU on every request here (settings
merged, the cookie jar read and written twice, a Response built), while a 2 MB chunk crosses
loopback in about one: with it, the upload of a large file ran at a third of a raw PUT of the
same bytes. All the posts of the uploads go to one URL with one set of settings, so these are
worked out once (upload.py keeps one DirectPost per session), from the session's own adapter,
exactly as it works them out for each request: the same pool (kept-alive connection, TLS
verification and CA bundle, client certificate, proxy) and the same headers. Cookies stay in
the session's jar: each answer's Set-Cookie goes into it, and the Cookie header is taken from
it, with requests' own functions (see `_Cookies` for when that work is known to give what it
gave before). Redirects are never followed; the answer says where it points.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar, get_cookie_header

from crds_deliver.crds.http import Http


@dataclass(frozen=True)
class Answer:
    """A direct post's answer: its status, and where it redirects (absolute, on the server's
    own origin: a redirect elsewhere raises RedirectRefused, as `Http.request` does; None
    for an answer that is not a redirect)."""

    status_code: int
    location: str | None


class DirectPost:
    """Posts to `path` of `http`'s server; `post` retries as `Http.request` does."""

    def __init__(self, http: Http, path: str) -> None:
        self._http = http
        self.url = http.url(path)
        session = http.session
        # The prepared request is the cookie jar's view of where the posts go (its domain
        # and path rules); its own Cookie header is dropped so the jar adds the current one.
        self._request = session.prepare_request(requests.Request("POST", self.url))
        self._request.headers.pop("Cookie", None)
        adapter = session.get_adapter(self.url)
        if not isinstance(adapter, HTTPAdapter):  # Http's sessions keep requests' adapters
            raise TypeError(f"{type(adapter).__name__} is not requests' HTTPAdapter")
        self._pool = adapter.get_connection_with_tls_context(
            self._request, session.verify, proxies=session.proxies, cert=session.cert)
        adapter.cert_verify(self._pool, self.url, session.verify, session.cert)
        self._target = adapter.request_url(self._request, session.proxies)
        self._headers = dict(self._request.headers)
        self._cookies = _Cookies(session.cookies, self._request)
        self._timeout = urllib3.Timeout(connect=http.timeouts.connect, read=http.timeouts.read)

    def post(self, body: memoryview, headers: dict[str, str], *,
             on_sent: Callable[[], None] | None = None) -> Answer:
        """Post `body` with `headers` added to the session's; retried as a safe request.
        `on_sent` runs each time the whole body has been handed to the socket, before the
        answer is awaited (so that work can fill the wait without slowing the sending)."""
        return self._http.retried("POST", self.url, True,
                                  lambda: self._send(body, headers, on_sent))

    def _send(self, body: memoryview, headers: dict[str, str],
              on_sent: Callable[[], None] | None) -> Answer:
        sent = {**self._headers, **headers, "Content-Length": str(len(body))}
        cookie = self._cookies.header()
        if cookie:
            sent["Cookie"] = cookie
        try:
            response = self._pool.urlopen("POST", self._target,
                                          body=_then(body, on_sent) if on_sent else body,
                                          headers=sent,
                                          redirect=False, retries=False,
                                          assert_same_host=False, timeout=self._timeout,
                                          preload_content=True, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ReadTimeout(exc) from None
        except urllib3.exceptions.SSLError as exc:  # as requests' adapter names them
            raise requests.exceptions.SSLError(exc) from None
        except urllib3.exceptions.ProxyError as exc:
            raise requests.exceptions.ProxyError(exc) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.ConnectionError(exc) from None
        self._cookies.keep(response)
        return Answer(response.status, self._http.checked_redirect(
            "POST", self.url, response.status, response.headers.get("Location")))


def _then(body: memoryview, on_sent: Callable[[], None]) -> Iterator[memoryview]:
    """`body` as the one piece of an iterable, and `on_sent()` when the next piece is asked
    for: urllib3 (http.client for urllib3 1.x) sends an iterable body piece by piece, so that
    is once the body is in the socket. With the Content-Length given, the body is sent as
    is, not chunked."""
    yield body
    on_sent()


_CookieState = tuple[tuple[str, str | None, str, str, bool, int | None, str | None], ...]


def _state(jar: CookieJar) -> _CookieState:
    """What of the jar's cookies the Cookie header and an extraction depend on."""
    return tuple((c.name, c.value, c.domain, c.path, c.secure, c.expires, c.port) for c in jar)


class _Cookies:
    """The jar's side of the posts, with requests' `get_cookie_header` and
    `extract_cookies_to_jar`, each skipped when it is known to give what it gave last time.

    Why: the two cost about 0.35 ms of CPU a post between them (http.cookiejar's policy
    checks and date parsing), a tenth of a 2 MB chunk's round trip on loopback, and every
    chunk's answer sets the same csrftoken cookie again.
    - The Cookie header depends on the jar's cookies and the time (an expired cookie is not
      sent): it is worked out again when a cookie changed or the first expiry is reached.
    - Extracting an answer's Set-Cookie headers gives the jar it gave last time when the
      headers are the same, the jar is as that extraction left it, and it is the same second:
      http.cookiejar counts a Max-Age from the current whole second."""

    def __init__(self, jar: CookieJar, request: requests.PreparedRequest) -> None:
        self._jar = jar
        self._request = request
        self._header: str | None = None
        self._header_state: _CookieState | None = None
        self._header_until = -math.inf
        self._extracted: tuple[tuple[str, ...], int, _CookieState] | None = None

    def header(self) -> str | None:
        state = _state(self._jar)
        if state != self._header_state or time.time() >= self._header_until:
            self._header = get_cookie_header(self._jar, self._request)
            self._header_state = state
            self._header_until = min((c.expires for c in self._jar if c.expires is not None),
                                     default=math.inf)
        return self._header

    def keep(self, response: urllib3.BaseHTTPResponse) -> None:
        set_cookie = tuple(response.headers.getlist("Set-Cookie"))
        if not set_cookie:
            return
        second = int(time.time())
        if self._extracted == (set_cookie, second, _state(self._jar)):
            return
        extract_cookies_to_jar(self._jar, self._request, response)
        self._extracted = (set_cookie, second, _state(self._jar))
