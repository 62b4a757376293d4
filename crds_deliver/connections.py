"""Where a delivery goes and as whom: the user's own server and credentials, or a sandbox
started in this process.

Shared by every face of the engine (the CLI's apply/confirm/cancel, the Python API, the
`compat.rc_submit` drop-in), so that all of them pick servers, tokens and sandboxes alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from crds_deliver.credentials import Credentials, Token, find_credentials
from crds_deliver.errors import UsageError
from crds_deliver.lock import DeliveryLock, user_lock_path

if TYPE_CHECKING:  # apply and crds bring requests: imported when a connection is made
    from crds_deliver.apply import Callbacks, Connection
    from crds_deliver.manifest import Manifest
    from crds_deliver.sandbox import Sandbox

SANDBOX_USER = "sandbox"


class SandboxPool:
    """Sandbox servers started in this process, one per project, on free ports; their state
    lives under `data` (the sandbox keeps `<data>/<project>/`), so a later
    `crds-deliver sandbox --data DIR --project P` serves it again."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.token = Token(secrets.token_hex(16))
        self._servers: dict[str, Sandbox] = {}

    def connection(self, project: str) -> Connection:
        from crds_deliver.apply import Connection

        try:
            from crds_deliver.sandbox import Sandbox  # the sandbox extra is optional
        except ImportError as exc:
            raise UsageError("--sandbox needs Werkzeug: pip install 'crds-deliver[sandbox]' "
                             f"({exc})") from None

        server = self._servers.get(project)
        if server is None:
            server = Sandbox(self.data, project=project, username=SANDBOX_USER,
                             token=self.token.reveal())
            server.start(host="127.0.0.1", port=0)
            self._servers[project] = server
        credentials = Credentials(server.username, self.token, "sandbox", "sandbox")
        return Connection(server.url, credentials, sandbox=True, poll_seconds=0.2)

    def stop(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


def user_connection(manifest: Manifest, token_file: Path | None, username: str | None,
                    prompt: Callable[[str], str] | None, callbacks: Callbacks,
                    on_warning: Callable[[str], None]) -> Connection:
    """The manifest's server (CRDS_SERVER_URL overrides) with the user's own credentials;
    warnings about where they came from (a readable ini file) go to `on_warning`."""
    from crds_deliver.apply import Connection
    from crds_deliver.crds import resolve_server

    choice = resolve_server(manifest.project, manifest.server)
    credentials = find_credentials(token_file=token_file, username=username, prompt=prompt)
    for warning in credentials.warnings:
        on_warning(warning)
    callbacks.say(f"server {choice.url} ({choice.source}); user {credentials.username} "
                  f"({credentials.username_source}); token from {credentials.token_source}")
    return Connection(choice.url, credentials, use_case=choice.use_case)


def session_lock(path: Path, connection: Connection, wait: bool,
                 callbacks: Callbacks) -> DeliveryLock:
    """The lock of the CRDS user on this machine (see crds_deliver.lock.user_lock_path)."""
    user = connection.credentials.username
    return DeliveryLock(path, wait=wait, on_message=callbacks.say,
                        lock_file=user_lock_path(connection.url, user),
                        busy=f"another crds-deliver run is delivering as {user} to "
                             f"{connection.url} (the server keeps one ingest area and one "
                             "login per user)")
