"""The Sandbox object: builds the state and serves it with cheroot in background threads.

Usable in-process (tests, `apply --sandbox`) and by the `crds-deliver sandbox` command. Binds
to 127.0.0.1 by default: the sandbox has a single configured token and is not meant to be
reachable from other machines.

cheroot is a production WSGI server that embeds in a process: HTTP/1.1 keep-alive (a client
reuses its connection for the hundreds of requests of a delivery), a pool of worker threads,
and request bodies streamed to the application as they arrive (an upload chunk is written to
the ingest area once, not first to a spool file). Werkzeug's development server, used before,
closed every connection and made uploads run at a fifth of a raw loopback PUT.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Protocol

from cheroot import server as http
from cheroot import wsgi
from werkzeug.exceptions import ClientDisconnected

from crds_deliver.errors import CrdsDeliverError
from crds_deliver.projects import PROJECTS
from crds_deliver.rules.context import ContextError
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


LOG = logging.getLogger("crds_deliver.sandbox")
WORKER_THREADS = 16  # requests served at once; a held or delayed request (faults) holds one
STOP_WAIT = 2.0  # seconds stop() waits for requests in progress


class _Body(http.KnownLengthRFile):
    """A request body of known length that can also be read with `readinto`: the upload
    reader (multipart.py) then receives a chunk straight into its own buffer, where
    cheroot's `read` would make and join new bytes objects for every piece off the socket.

    A body that ends before its Content-Length raises ClientDisconnected (400) instead of
    reading as a short one: cheroot would hand the application the cut-off part, so a client
    killed between sending a form's headers and its body would post an empty form. The
    servers CRDS runs on refuse such a request before any view sees it."""

    def readinto(self, buffer: memoryview) -> int:
        """Reads what one system call brings (at least one byte before the end): the
        stream's `readinto1`, as its `readinto` miscounts when it loops (CPython's _pyio)."""
        size = min(len(buffer), self.remaining)
        if size <= 0:
            return 0
        count = self.rfile.readinto1(buffer[:size]) or 0
        self._check_arrived(count > 0)
        self.rfile.bytes_read += count  # cheroot's statistics count what `read` returns
        self.remaining -= count
        return count

    def read(self, size: int | None = None) -> bytes:
        """Blocks until `size` bytes (or the rest of the body) came: fewer means the end."""
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = super().read(wanted)
        self._check_arrived(len(data) == wanted)
        return data

    def readline(self, size: int | None = None) -> bytes:
        """A line ends at a newline, at `size`, or at the end of the body; not before."""
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = super().readline(wanted)
        self._check_arrived(len(data) == wanted or data.endswith(b"\n"))
        return data

    def _check_arrived(self, arrived: bool) -> None:
        """The socket ended while the body still owed bytes: the client has hung up. The
        body then reads as ended, so cheroot's draining of it after the answer stops."""
        if not arrived:
            self.remaining = 0
            raise ClientDisconnected("the client hung up before sending the whole request body")


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, also handing the application its connection's socket (the
    dropped-connection fault in app.py shuts it, as it did under Werkzeug's server) and a
    body it can read with `readinto`."""

    def get_environ(self) -> dict:
        rfile = self.req.rfile
        if type(rfile) is http.KnownLengthRFile:
            self.req.rfile = _Body(rfile.rfile, rfile.remaining)
        environ = super().get_environ()
        environ["werkzeug.socket"] = self.req.conn.socket
        return environ


_LEADING_SLASHES = re.compile(rb"^([A-Z]+ )/{2,}")


class _LineReader(Protocol):
    def readline(self, size: int = -1) -> bytes: ...


class _FoldedStartLine:
    """Reads a request's start line with `//path` folded to `/path`, the rest unchanged."""

    def __init__(self, rfile: _LineReader) -> None:
        self._rfile = rfile

    def readline(self, size: int = -1) -> bytes:
        return _LEADING_SLASHES.sub(rb"\1/", self._rfile.readline(size), count=1)


class _Request(http.HTTPRequest):
    """The crds package's clients join URLs into `//login/`; cheroot would refuse that as an
    absolute URI (400), so the start line's leading slashes are folded first (the
    application folds repeated slashes anyway)."""

    def read_request_line(self) -> bool:
        reader = self.rfile
        self.rfile = _FoldedStartLine(reader)
        try:
            return super().read_request_line()
        finally:
            self.rfile = reader


class _Connection(http.HTTPConnection):
    RequestHandlerClass = _Request

    # The buffer of request lines, headers and small bodies (cheroot's default is 8 kB).
    # Upload bodies bypass it: a `readinto` larger than the buffer reads from the socket
    # straight into the upload reader's buffer (multipart.BLOCK, 1 MB).
    rbufsize = 64 * 1024


class _Server(wsgi.Server):
    """cheroot's server, reporting its errors to the `crds_deliver.sandbox` logger instead of
    writing them to stderr (a client that hangs up mid-request is routine in the tests)."""

    ConnectionClass = _Connection

    def error_log(self, msg: str = "", level: int = logging.INFO,
                  traceback: bool = False) -> None:
        LOG.log(level, "%s", msg, exc_info=traceback)


def _logged(app: Callable, log: logging.Logger) -> Callable:
    """`app`, logging one line per request (method, path, status), for the foreground
    `crds-deliver sandbox` command."""
    def logging_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        def respond(status: str, headers: list, exc_info: object = None) -> Callable:
            log.info("%s %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                     status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)
        return app(environ, respond)
    return logging_app


class Sandbox:
    """A local CRDS-compatible server for one project, with its state under `data_dir`."""

    def __init__(self, data_dir: Path, project: str = "jwst", username: str = "sandbox",
                 token: str | None = None, settings: SandboxSettings | None = None,
                 from_cache: Path | None = None, context: str | None = None) -> None:
        if project not in PROJECTS:
            raise ValueError(f"project must be one of {', '.join(PROJECTS)}")
        self.data_dir = Path(data_dir)
        self.project = project
        self.username = username
        self.token = token or secrets.token_hex(16)
        self.settings = settings or SandboxSettings()
        self.faults = Faults()
        self.stats = Stats()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url = ""
        project_dir = self.data_dir / project
        project_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(project_dir / "catalog.sqlite3", project)
        rules = Rules(self.catalog, project_dir / "mappings")
        (project_dir / "references").mkdir(exist_ok=True)
        try:  # a CRDS cache's context, else the bundled one (only into an empty sandbox)
            if from_cache is not None:
                rules.seed_from_cache(project_dir / "references", Path(from_cache), context)
            rules.seed(project_dir / "references")
        except ContextError as exc:
            self.catalog.close()
            raise SandboxError(str(exc)) from None
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
        """Serve in background threads (port 0 = any free port); returns self once the port
        listens. Every thread of the server is a daemon: a process that never calls stop()
        still exits."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        _check_free(host, port)
        app: Callable = self.app
        if log_requests:
            if not LOG.handlers:
                LOG.addHandler(logging.StreamHandler())
            LOG.setLevel(logging.INFO)
            app = _logged(app, LOG)
        server = _Server((host, port), app, numthreads=WORKER_THREADS, timeout=60,
                         shutdown_timeout=1)
        server.gateway = _Gateway
        server.expiration_interval = 0.05  # how often it looks for stop(): tests stop many
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            # cheroot's threads inherit this thread's daemon flag, hence prepare() here.
            try:
                server.prepare()
            except OSError as exc:
                failure.append(exc)
                return
            finally:
                ready.set()
            server.serve()

        self._server = server
        self._thread = threading.Thread(target=serve, name="crds-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._server, self._thread = None, None
            raise SandboxError(f"the sandbox cannot listen on {host}:{port}: {failure[0]}")
        shown = f"[{host}]" if ":" in host else host
        self._url = f"http://{shown}:{server.bind_addr[1]}/"
        return self

    def wait(self) -> None:
        """Block until the server stops (the command line's foreground mode)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving and close the catalog; the data folder keeps the state.

        cheroot's stop() waits for every request in progress, however long a fault delays
        it; past STOP_WAIT seconds such requests are left to their daemon threads (as
        Werkzeug's server left them), and stop() returns."""
        if self._server is not None:
            stopper = threading.Thread(target=self._server.stop, name="crds-sandbox-stop",
                                       daemon=True)
            stopper.start()
            stopper.join(STOP_WAIT)
            self._server = None
        if self._thread is not None:
            self._thread.join(STOP_WAIT)
            self._thread = None
        self.catalog.close()

    def __enter__(self) -> Sandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
