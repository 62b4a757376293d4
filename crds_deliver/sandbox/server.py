"""The Sandbox object: builds the state, runs Werkzeug's threaded server in a background thread.

Usable in-process (tests, `apply --sandbox`) and by the `crds-deliver sandbox` command. Binds
to 127.0.0.1 by default: the sandbox has a single configured token and is not meant to be
reachable from other machines.
"""

from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from crds_deliver.errors import CrdsDeliverError
from crds_deliver.projects import PROJECTS
from crds_deliver.sandbox.app import SandboxApp, State
from crds_deliver.sandbox.catalog import Catalog
from crds_deliver.sandbox.faults import Faults
from crds_deliver.sandbox.jsonrpc import JsonRpc
from crds_deliver.sandbox.rules import Rules
from crds_deliver.sandbox.sessions import SessionStore
from crds_deliver.sandbox.settings import SandboxSettings
from crds_deliver.sandbox.stats import Stats
from crds_deliver.sandbox.submission import Processor


class SandboxError(CrdsDeliverError):
    """The sandbox cannot start (e.g. its address is taken)."""


def _check_free(host: str, port: int) -> None:
    """Raise SandboxError when (host, port) cannot be bound.

    Werkzeug would print a message and exit the process instead; a library must raise.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SandboxError(f"the sandbox cannot listen on {host}:{port}: "
                               f"{exc.strerror or exc}") from None


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to stderr (tests run many)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Sandbox:
    """A local CRDS-compatible server for one project, with its state under `data_dir`."""

    def __init__(self, data_dir: Path, project: str = "jwst", username: str = "sandbox",
                 token: str | None = None, settings: SandboxSettings | None = None) -> None:
        if project not in PROJECTS:
            raise ValueError(f"project must be one of {', '.join(PROJECTS)}")
        self.data_dir = Path(data_dir)
        self.project = project
        self.username = username
        self.token = token or secrets.token_hex(16)
        self.settings = settings or SandboxSettings()
        self.faults = Faults()
        self.stats = Stats()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._url = ""
        project_dir = self.data_dir / project
        project_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(project_dir / "catalog.sqlite3", project)
        rules = Rules(self.catalog, project_dir / "mappings")
        (project_dir / "references").mkdir(exist_ok=True)
        rules.seed(project_dir / "references")
        processor = Processor(self.catalog, rules, self.settings, self.faults, project_dir,
                              lambda: self.url)
        users = dict(self.settings.extra_users)
        users[username] = self.token
        self._state = State(
            project=project, users=users, settings=self.settings, faults=self.faults,
            stats=self.stats, catalog=self.catalog, rules=rules,
            sessions=SessionStore(self.settings.lock_ttl, self.faults), processor=processor,
            rpc=JsonRpc(self.catalog, lambda: self.url), ingest_root=project_dir / "ingest",
            references_dir=project_dir / "references")
        self.app = SandboxApp(self._state)

    @property
    def url(self) -> str:
        """Base URL with a trailing slash, e.g. 'http://127.0.0.1:8123/' (empty until started)."""
        return self._url

    def start(self, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False
              ) -> Sandbox:
        """Serve in a background thread (port 0 = any free port); returns self."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        handler = WSGIRequestHandler if log_requests else _QuietHandler
        _check_free(host, port)
        self._server = make_server(host, port, self.app, threaded=True,
                                   request_handler=handler)
        self._server.daemon_threads = True
        shown = f"[{host}]" if ":" in host else host
        self._url = f"http://{shown}:{self._server.server_port}/"
        server = self._server
        # A short poll interval makes stop() quick (tests start and stop many servers).
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
                                        name="crds-sandbox", daemon=True)
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server stops (the command line's foreground mode)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving and close the catalog; the data folder keeps the state."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.catalog.close()

    def __enter__(self) -> Sandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
