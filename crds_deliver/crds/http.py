"""One HTTP session to one CRDS server: timeouts on every call, retries only where safe, a
hook that reports each request (for -v), and errors scrubbed of the token.

Safe to retry: GETs, JSON-RPC reads and re-sent upload chunks (the server places a chunk by
its Content-Range, so a second copy lands in the same bytes). Never retried: the submission
post and confirm/cancel, which would start or finish a delivery twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from crds_deliver import __version__
from crds_deliver.crds.errors import CrdsError, ServerUnreachable
from crds_deliver.crds.server import require_https
from crds_deliver.credentials import Token

RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RequestEvent:
    """What -v shows of one request: never a body, a cookie or a header."""

    method: str
    path: str
    status: int | None
    seconds: float
    attempt: int
    error: str | None = None


@dataclass(frozen=True)
class Timeouts:
    """Seconds to connect and to wait for an answer. The submission post waits long: the
    server certifies and renames every file inside that one request."""

    connect: float = 10.0
    read: float = 120.0
    submit: float = 3600.0
    # How long a progress channel may stay silent, once no post of ours is pending, before
    # the client stops following it and leaves the record to be resumed later.
    quiet: float = 60.0


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
        self.session = requests.Session()
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
                session: requests.Session | None = None, **kwargs) -> requests.Response:
        """Send one request; when `safe`, retry connection failures and 502/503/504 with
        exponential backoff. Raises ServerUnreachable when no answer comes."""
        url = self.url(path)
        shown = urlsplit(url).path or "/"
        attempts = self.retries + 1 if safe else 1
        last_error = ""
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            try:
                response = (session or self.session).request(
                    method, url, timeout=(self.timeouts.connect, timeout or self.timeouts.read),
                    **kwargs)
            except requests.RequestException as exc:
                last_error = type(exc).__name__
                self._report(method, shown, None, started, attempt, last_error)
            else:
                self._report(method, shown, response.status_code, started, attempt, None)
                if response.status_code not in RETRY_STATUSES or attempt == attempts:
                    return response
                last_error = f"HTTP {response.status_code}"
            if attempt < attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise self.fail(ServerUnreachable, f"{method} {self.url(shown)}: no answer from the "
                                           f"server ({last_error}) after {attempts} attempt(s)")

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
