"""Which server a manifest talks to: a use-case string or a URL, overridden by CRDS_SERVER_URL
(as the crds package does, so a user's usual environment points both tools at one server)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from crds_deliver.errors import ConfigurationError
from crds_deliver.projects import server_url as use_case_url


@dataclass(frozen=True)
class ServerChoice:
    """The base URL (always with a trailing slash) and the use-case it came from, if any."""

    url: str
    use_case: str | None
    source: str


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str | None) -> bool:
    """True for this machine's own addresses (a sandbox), where plain http exposes nothing."""
    host = (host or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def require_https(url: str) -> None:
    """Refuse plain http to another machine: the MAST token travels in every login and would
    cross the network in clear text. Loopback (a local sandbox) may use http."""
    parts = urlsplit(url.strip())
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http to {parts.hostname}: the MAST token would cross the network "
            f"unencrypted; use https://{parts.netloc}{parts.path} (http is accepted only for "
            "a local sandbox on 127.0.0.1 / localhost)")


def normalise_url(url: str) -> str:
    """Check an http(s) URL (https unless loopback) and give it exactly one trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"not an http(s) server URL: {url!r}")
    require_https(url)
    return url.strip().rstrip("/") + "/"


def resolve_server(project: str, server: str, env: dict[str, str] | None = None) -> ServerChoice:
    """The server for a manifest's `project` and `server:` value."""
    env = os.environ if env is None else env
    override = env.get("CRDS_SERVER_URL", "").strip()
    if override:
        return ServerChoice(normalise_url(override), None, "CRDS_SERVER_URL")
    if server.startswith(("http://", "https://")):
        return ServerChoice(normalise_url(server), None, "manifest")
    try:
        return ServerChoice(use_case_url(project, server), server, "manifest")
    except KeyError as exc:
        raise ConfigurationError(str(exc.args[0])) from None
