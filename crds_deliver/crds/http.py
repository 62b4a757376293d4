"""One HTTP session to one CRDS server: timeouts on every call, retries only where safe, a
hook that reports each request (for -v), and errors scrubbed of the token.

Redirects are followed here, not by `requests`, and only within the configured server's
origin (scheme, host and port): the login form carries the token as its password and the
session's cookies carry it too, so a redirect to any other origin (another host, another port,
plain http) is refused with an error instead of being followed with them.

Safe to retry: GETs, JSON-RPC reads and re-sent upload chunks (the server places a chunk by
its Content-Range, so a second copy lands in the same bytes). Never retried: the submission
post and confirm/cancel, which would start or finish a delivery twice; nor any request whose
server certificate was refused, which the next attempt would refuse again.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

import requests

from crds_deliver import __version__
from crds_deliver.crds.errors import CrdsError, ServerUnreachable
from crds_deliver.crds.server import require_https
from crds_deliver.credentials import Token

RETRY_STATUSES = frozenset({502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10


class _HasStatus(Protocol):
    @property
    def status_code(self) -> int: ...


Answered = TypeVar("Answered", bound=_HasStatus)


class RedirectRefused(CrdsError):
    """The server redirected to another origin: the request is not followed there."""


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


# The system's words in a connection failure's text: an OpenSSL reason ("[SSL: CODE] words
# (_ssl.c:N)") or an errno's ("[Errno 111] Connection refused").
_SSL_REASON = re.compile(r"\[SSL: \w+\] (.+?)\s*\(_ssl\.c")
_ERRNO_REASON = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def failure_reason(exc: requests.RequestException) -> str:
    """What -v and the final error say of a request that got no answer: the exception's
    class, with the system's reason when its text has one (requests' own text is a nest of
    reprs, up to a screen long)."""
    text = str(exc)
    found = _SSL_REASON.search(text) or _ERRNO_REASON.search(text)
    return f"{type(exc).__name__}: {found[1]}" if found else type(exc).__name__


def certificate_refused(exc: requests.RequestException) -> bool:
    """The server's TLS certificate failed verification (unknown authority, expired, another
    host's name): every further attempt fails the same way."""
    return isinstance(exc, requests.exceptions.SSLError) \
        and "CERTIFICATE_VERIFY_FAILED" in str(exc)


def is_login_page(url: str) -> bool:
    """A URL of the server's login page: where it sends a request whose session ended."""
    return urlsplit(url).path.rstrip("/").endswith("/login")


@dataclass(frozen=True)
class RequestEvent:
    """What -v shows of one request: never a body, a cookie or a header."""

    method: str
    path: str
    status: int | None
    seconds: float
    attempt: int
    error: str | None = None


QUIET_ENV = "CRDS_DELIVER_QUIET_SECONDS"


def _seconds(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable) or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Timeouts:
    """Seconds to connect and to wait for an answer. The submission post waits long: the
    server certifies and renames every file inside that one request."""

    connect: float = 10.0
    read: float = 120.0
    submit: float = 3600.0
    # How long a progress channel may stay silent, once no post of ours is pending, before
    # the client stops following it and leaves the record to be resumed later (and how long
    # a resumed SUBMITTING record waits for a first sign of its post).
    quiet: float = field(default_factory=lambda: _seconds(QUIET_ENV, 60.0))


def session_for(base_url: str) -> requests.Session:
    """A `requests.Session` for one server, with the environment's settings for it read once.

    requests otherwise reads the environment on every request (the proxy variables and their
    NO_PROXY exceptions, REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, ~/.netrc): about half a
    millisecond each time here, a third of a small post on loopback, and more on CI runners that
    set hundreds of variables. Our sessions talk to one origin (redirects elsewhere are refused),
    so the answer is the same every time. ~/.netrc is not read at all: the MAST token is the
    only credential that goes to CRDS."""
    session = requests.Session()
    settings = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]
    session.trust_env = False
    return session


class Http:
    """A `requests.Session` bound to a base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        token: Token | None = None,
        timeouts: Timeouts | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        on_request: Callable[[RequestEvent], None] | None = None,
    ) -> None:
        require_https(base_url)
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeouts = timeouts or Timeouts()
        self.retries = retries
        self.backoff = backoff
        self.on_request = on_request
        self.session = session_for(self.base_url)
        self.session.headers["User-Agent"] = f"crds-deliver/{__version__}"
        # Django checks the Referer of HTTPS form posts against the host.
        self.session.headers["Referer"] = self.base_url

    def url(self, path: str) -> str:
        """Absolute URL of a server path; tolerant of `//display_result/...` from the server.

        An absolute URL on another host or port (a server message, an old record, a sandbox
        restarted on a new port) is reduced to its path on this server: the session's
        cookies carry the token, so they must never travel to any other address."""
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            if parts.netloc == urlsplit(self.base_url).netloc:
                return path
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        return urljoin(self.base_url, path.lstrip("/"))

    def redact(self, text: str) -> str:
        return self.token.redact(text) if self.token else text

    def fail(self, error_type: type[CrdsError], message: str) -> CrdsError:
        """An error whose text cannot carry the token, whatever the server echoed."""
        return error_type(self.redact(message))

    def request(self, method: str, path: str, *, safe: bool, timeout: float | None = None,
                session: requests.Session | None = None,
                stop_at: Callable[[str], bool] | None = None, **kwargs) -> requests.Response:
        """Send one request; when `safe`, retry connection failures and 502/503/504 with
        exponential backoff. Raises ServerUnreachable when no answer comes. A redirect to a
        URL of the server for which `stop_at` is true is returned, not followed: the caller
        needs only where it points (one round trip less)."""
        url = self.url(path)
        return self.retried(method, url, safe, lambda: self._send(
            session or self.session, method, url,
            (self.timeouts.connect, timeout or self.timeouts.read), kwargs, stop_at))

    def retried(self, method: str, url: str, safe: bool, send: Callable[[], Answered]
                ) -> Answered:
        """`send()` once, or when `safe` up to `retries` more times after a connection
        failure (a requests.RequestException) or a 502/503/504, with exponential backoff;
        each attempt is reported to `on_request`. Raises ServerUnreachable when no answer
        comes, at once when the server's certificate is refused."""
        shown = urlsplit(url).path or "/"
        attempts = self.retries + 1 if safe else 1
        last_error = ""
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = send()
            except requests.RequestException as exc:
                last_error = failure_reason(exc)
                self._report(method, shown, None, started, attempt, last_error)
                if certificate_refused(exc):
                    raise self.fail(ServerUnreachable, (
                        f"{method} {self.url(shown)}: the server's TLS certificate was refused "
                        f"({last_error}); if an authority of your own signs it, give its CA "
                        "bundle in REQUESTS_CA_BUNDLE")) from None
            else:
                self._report(method, shown, response.status_code, started, attempt, None)
                if response.status_code not in RETRY_STATUSES or attempt == attempts:
                    return response
                last_error = f"HTTP {response.status_code}"
            if attempt < attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise self.fail(ServerUnreachable, f"{method} {self.url(shown)}: no answer from the "
                                           f"server ({last_error}) after {attempts} attempt(s)")

    def _send(self, session: requests.Session, method: str, url: str,
              timeout: tuple[float, float], kwargs: dict,
              stop_at: Callable[[str], bool] | None) -> requests.Response:
        """One request and the redirects it gets, each checked against the server's origin
        before it is followed. 301/302 of a POST and every 303 continue as a body-less GET,
        as browsers do; 307/308 repeat the method and body."""
        for _ in range(MAX_REDIRECTS + 1):
            response = session.request(method, url, timeout=timeout, allow_redirects=False,
                                       **kwargs)
            target = self.redirect_target(response)
            if target is None or (stop_at is not None and stop_at(target)):
                return response
            response.close()
            if response.status_code == 303 or (response.status_code in (301, 302)
                                               and method == "POST"):
                method = "GET"
                kwargs = {k: v for k, v in kwargs.items() if k not in ("data", "files", "json")}
                headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
                           if k.lower() not in ("content-type", "content-range")}
                kwargs["headers"] = headers
            url = target
        raise self.fail(RedirectRefused, f"{method} {urlsplit(url).path}: more than "
                                         f"{MAX_REDIRECTS} redirects")

    def redirect_target(self, response: requests.Response) -> str | None:
        """Where a redirect answer points (absolute), None for any other answer. A redirect
        to another origin raises RedirectRefused: it is never followed, so neither the token
        nor the session's cookies go there."""
        try:
            return self.checked_redirect(str(response.request.method), response.url,
                                         response.status_code, response.headers.get("Location"))
        except RedirectRefused:
            response.close()
            raise

    def checked_redirect(self, method: str, url: str, status: int, location: str | None
                         ) -> str | None:
        """Where the answer (`status`, `location`) to `method url` redirects (absolute), None
        when it is not a redirect; RedirectRefused for a redirect to another origin."""
        if status not in REDIRECT_STATUSES or not location:
            return None
        target = urljoin(url, location)
        if origin(target) != origin(self.base_url):
            shown = urlsplit(target)
            raise RedirectRefused(self.redact(
                f"{method} {urlsplit(url).path}: the server redirected (HTTP {status}) to "
                f"{shown.scheme}://{shown.netloc}, which is not the configured server "
                f"{self.base_url}; not followed, so neither the token nor the session's "
                "cookies went there"))
        return target

    def _report(self, method: str, path: str, status: int | None, started: float,
                attempt: int, error: str | None) -> None:
        if self.on_request:
            self.on_request(RequestEvent(method, path, status, time.monotonic() - started,
                                         attempt, error))

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, safe=True, **kwargs)

    def csrf_token(self, response: requests.Response) -> str | None:
        """Django's csrftoken: from this response's Set-Cookie, else the session's jar."""
        return response.cookies.get("csrftoken") or self.session.cookies.get("csrftoken")

    def close(self) -> None:
        self.session.close()
