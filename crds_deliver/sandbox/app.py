"""The WSGI application: URL routing and the views of the CRDS web protocol.

Werkzeug gives routing, cookie handling and form parsing without pulling in a web
framework; upload posts bypass its form parser and stream their file part straight into the
ingest area (multipart.py), so a 10 GB upload never sits in memory or in a spool file.
Every view is a small function of (request, state) -> response; the protocol logic lives in
the modules it calls (sessions, ingest, submission, jsonrpc).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from crds_deliver.projects import INSTRUMENTS
from crds_deliver.sandbox import pages
from crds_deliver.sandbox.catalog import Catalog
from crds_deliver.sandbox.faults import Faults
from crds_deliver.sandbox.forms import check_context, check_submission, description_yaml
from crds_deliver.sandbox.ingest import ContentRange, IngestArea, IngestError, Receiving
from crds_deliver.sandbox.jsonrpc import JsonRpc
from crds_deliver.sandbox.multipart import (
    MultipartError,
    MultipartReader,
    boundary_of,
    field_value,
)
from crds_deliver.sandbox.rules import Rules
from crds_deliver.sandbox.sessions import LockHeld, Session, SessionStore, csrf_ok, new_csrf_token
from crds_deliver.sandbox.settings import SandboxSettings
from crds_deliver.sandbox.stats import Stats
from crds_deliver.sandbox.submission import Outcome, Processor, Trapped

CSRF_MAX_AGE = 31449600  # 364 days, as Django sets it
SESSION_MAX_AGE = 64800  # 18 h, as observed on a real server
MAX_FIELD = 4096  # a plain field of an upload post: only the 64-character CSRF token
_SLASHES = re.compile(r"/{2,}")

SUBMISSION_URLS = {
    "/submission_form/redcat_submit/": ("redcat", True),
    "/batch_submit_references/": ("batch", False),
}
UNSUPPORTED_URLS = ("/submit/reference/", "/submit/mapping/")


@dataclass
class State:
    """Everything the views share for one sandbox instance."""

    project: str
    users: dict[str, str]  # username -> token
    settings: SandboxSettings
    faults: Faults
    stats: Stats
    catalog: Catalog
    rules: Rules
    sessions: SessionStore
    processor: Processor
    rpc: JsonRpc
    ingest_root: Path
    references_dir: Path


class _Context:
    """Per-request helpers: the session, the CSRF cookie, and response finishing."""

    def __init__(self, request: Request, state: State) -> None:
        self.request = request
        self.state = state
        self.session: Session | None = state.sessions.get(request.cookies.get("sessionid"))
        self.csrf = request.cookies.get("csrftoken") or new_csrf_token()

    def with_csrf(self, response: Response) -> Response:
        if not self.state.faults.take_csrf_omission():
            response.set_cookie("csrftoken", self.csrf, max_age=CSRF_MAX_AGE, path="/",
                                samesite="Lax")
        return response

    def csrf_valid(self) -> bool:
        return csrf_ok(self.request.cookies.get("csrftoken"),
                       self.request.form.get("csrfmiddlewaretoken"))

    def ingest(self) -> IngestArea:
        assert self.session is not None
        return IngestArea(self.state.ingest_root, self.session.user,
                          self.state.settings.max_file_size)


def _html(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def _json(value: object, status: int = 200, request: Request | None = None) -> Response:
    # Like the real server: text/plain unless the client asks for JSON.
    wants_json = request is None or "json" in request.headers.get("Accept", "")
    return Response(json.dumps(value), status=status, content_type=(
        "application/json" if wants_json else "text/plain; charset=utf-8"))


def _redirect(location: str) -> Response:
    return Response("", status=302, headers={"Location": location})


def _forbidden() -> Response:
    return _html("<html><head><title>403 Forbidden</title></head><body><h1>Forbidden (403)"
                 "</h1><p>CSRF verification failed. Request aborted.</p></body></html>", 403)


def _login_required(ctx: _Context) -> Response:
    return _redirect("/login/?next=" + ctx.request.path)


# --- views -------------------------------------------------------------------------------

def home(ctx: _Context) -> Response:
    s = ctx.session
    return ctx.with_csrf(_html(pages.home_page(ctx.state.project, s and s.user,
                                               s and s.instrument)))


def description(ctx: _Context) -> Response:
    return Response(description_yaml(ctx.state.project), content_type="text/yaml; charset=utf-8")


def lock_status(ctx: _Context, user: str) -> Response:
    return _json(ctx.state.sessions.lock_status(user))


def login(ctx: _Context) -> Response:
    state, request = ctx.state, ctx.request
    instruments = INSTRUMENTS[state.project]
    if request.method == "GET":
        return ctx.with_csrf(_html(pages.login_page(state.project, instruments, ctx.csrf)))
    if not ctx.csrf_valid():
        return _forbidden()
    user = request.form.get("username", "")
    token = request.form.get("password") or request.cookies.get("ASB-AUTH", "")
    expected = state.users.get(user)
    if expected is None or not secrets.compare_digest(token.encode(), expected.encode()):
        if state.settings.login_failure_style == "myst":
            return _html(pages.myst_page())
        return ctx.with_csrf(_html(pages.login_page(
            state.project, instruments, ctx.csrf,
            error="Username or password invalid,  please try again.")))
    instrument = request.form.get("instrument", "none").lower()
    if instrument not in (*instruments, "none"):
        return _html(pages.error_page("Login", f"Unknown instrument '{instrument}'."))
    if ctx.session is not None:
        state.sessions.logout(ctx.session)
    try:
        session = state.sessions.login(user, instrument)
    except LockHeld as exc:
        return _html(pages.error_page("Login", str(exc)))
    IngestArea(state.ingest_root, user, state.settings.max_file_size)
    state.stats.incr("logins")
    next_url = request.form.get("next") or "/"
    local = next_url.startswith("/") and not next_url.startswith("//")  # no open redirect
    response = _redirect(next_url if local else "/")
    response.set_cookie("sessionid", session.key, max_age=SESSION_MAX_AGE, path="/",
                        httponly=True, samesite="Lax")
    return response


def logout(ctx: _Context) -> Response:
    if ctx.session is not None:
        ctx.state.sessions.logout(ctx.session)
        ctx.state.stats.incr("logouts")
    response = _redirect("/")
    response.delete_cookie("sessionid", path="/")
    return response


def upload_list(ctx: _Context) -> Response:
    if ctx.session is None:
        return _login_required(ctx)
    response = _json(ctx.ingest().listing(), request=ctx.request)
    response.headers["Content-Disposition"] = "inline; filename=files.json"
    return ctx.with_csrf(response)


def upload_delete(ctx: _Context, name: str) -> Response:
    if ctx.session is None:
        return _login_required(ctx)
    try:
        ctx.ingest().delete(name)
    except IngestError as exc:
        return _json({"error": str(exc)}, exc.status)
    if ctx.request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return _json(True)
    return _redirect("/upload/list/")


def upload(ctx: _Context) -> Response:
    state, request = ctx.state, ctx.request
    if ctx.session is None:
        return _login_required(ctx)
    if request.method == "GET":
        return ctx.with_csrf(_html(pages.form_page("Upload files", request.path, ctx.csrf)))
    content_range = request.headers.get("Content-Range")
    if content_range:
        state.stats.incr("chunk_posts")
    if state.faults.take_chunk_failure():
        return ctx.with_csrf(_json({"error": "chunk lost (fault injected)"}, 500))
    try:
        # Size limits first, from the headers alone: refusing a too large upload must not
        # require reading its body (the CSRF field is inside that body).
        if content_range is None and (request.content_length or 0) > \
                state.settings.max_file_size + 65536:
            raise IngestError(413, f"upload of {request.content_length} bytes is larger than "
                                   f"this server accepts ({state.settings.max_file_size})")
        parsed = ContentRange.parse(content_range) if content_range else None
        area = ctx.ingest()
        if parsed:
            area.check_size(parsed.total, "upload")
        valid, done = _receive_upload(ctx, area, parsed)
        if not valid:
            return _forbidden()
    except IngestError as exc:
        return ctx.with_csrf(_json({"error": str(exc)}, exc.status))
    files = []
    if done is not None:
        state.stats.incr("uploads")
        files = [IngestArea.entry(done)]
    return ctx.with_csrf(_json({"files": files}, request=request))


def _receive_upload(ctx: _Context, area: IngestArea, content_range: ContentRange | None
                    ) -> tuple[bool, Path | None]:
    """Stream an upload post's `files` part into the ingest area as it arrives: (whether the
    CSRF token was valid, the file when it is complete). The token part comes first in what
    clients send, so a bad token is refused before a byte is written; a token sent after
    the file undoes what was written."""
    request = ctx.request
    boundary = boundary_of(request.headers.get("Content-Type"))
    if boundary is None:  # not a multipart post: no token can be in it
        return False, None
    length = request.content_length
    if length is None and not request.environ.get("wsgi.input_terminated"):
        length = 0  # WSGI: no Content-Length and no terminated input means no body
    cookie = request.cookies.get("csrftoken")
    token: str | None = None
    receiving: Receiving | None = None
    try:
        for part, data in MultipartReader(request.environ["wsgi.input"], boundary, length):
            if part.filename is None:
                if part.name == "csrfmiddlewaretoken":
                    token = field_value(data, MAX_FIELD)
            elif part.name == "files" and receiving is None:
                if token is not None and not csrf_ok(cookie, token):
                    return False, None
                if not part.filename:
                    break
                receiving = area.receive(part.filename, content_range)
                for piece in data:
                    receiving.write(piece)
    except MultipartError as exc:
        if receiving is not None:
            receiving.abort()
        raise IngestError(400, f"malformed upload: {exc}") from None
    except BaseException:
        if receiving is not None:
            receiving.abort()
        raise
    if not csrf_ok(cookie, token):
        if receiving is not None:
            receiving.abort()
        return False, None
    if receiving is None:
        raise IngestError(400, "no file part named 'files' in the upload")
    return True, receiving.finish()


def open_channel(ctx: _Context) -> Response:
    if ctx.session is None:
        return _login_required(ctx)
    key = secrets.token_hex(16)
    key = f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"
    ctx.state.catalog.open_channel(key, ctx.session.user)
    ctx.session.jpoll_key = key
    return _json(key)


def _finish_post(ctx: _Context, outcome: Outcome) -> Response:
    time.sleep(ctx.state.settings.post_done_delay)
    return _redirect(f"/display_result/{outcome.result_id}")


def submission(ctx: _Context) -> Response:
    state, request = ctx.state, ctx.request
    kind, redcat = SUBMISSION_URLS[request.path]
    title = "ReDCaT submission" if redcat else "Batch submit references"
    if request.method == "POST":
        # A post counts once its form has arrived whole: reading a cut-off one (a client
        # killed between sending the headers and the body) raises ClientDisconnected, a 400
        # (server._Body), as CRDS's own server refuses it before any view runs.
        _ = request.form
        state.stats.incr("submission_posts")
    if ctx.session is None:
        return _login_required(ctx)
    if request.method == "GET":
        return ctx.with_csrf(_html(pages.form_page(title, request.path, ctx.csrf)))
    if not ctx.csrf_valid():
        return _forbidden()
    session = ctx.session
    if session.instrument == "none" or not state.sessions.holds_lock(session):
        return ctx.with_csrf(_html(pages.error_page(title, "You can't access this function "
                                                    "without logging in for a particular "
                                                    "instrument.")))
    values, errors = check_submission(request.form, state.project, redcat)
    if errors:
        return ctx.with_csrf(_html(pages.error_page(title, " ".join(errors))))
    try:
        outcome = state.processor.submit(session, values, ctx.ingest(), redcat, kind)
    except Trapped as exc:
        return ctx.with_csrf(_html(pages.error_page(title, str(exc))))
    return _finish_post(ctx, outcome)


def certify(ctx: _Context) -> Response:
    """Certify the ingest area against a context; nothing is renamed or delivered."""
    state, request = ctx.state, ctx.request
    if ctx.session is None:
        return _login_required(ctx)
    if request.method == "GET":
        return ctx.with_csrf(_html(pages.form_page("Certify files", request.path, ctx.csrf)))
    if not ctx.csrf_valid():
        return _forbidden()
    values, errors = check_context(request.form)
    try:
        if errors:
            raise Trapped(" ".join(errors))
        outcome = state.processor.certify_only(ctx.session, values, ctx.ingest())
    except Trapped as exc:
        return ctx.with_csrf(_html(pages.error_page("Certify files", str(exc))))
    return _finish_post(ctx, outcome)


def unsupported(ctx: _Context) -> Response:
    if ctx.session is None:
        return _login_required(ctx)
    if ctx.request.method == "GET":
        return ctx.with_csrf(_html(pages.form_page("Unsupported", ctx.request.path, ctx.csrf)))
    return _html(pages.error_page("Unsupported", f"The sandbox does not implement "
                                  f"{ctx.request.path}; use /submission_form/redcat_submit/ "
                                  "or /batch_submit_references/."))


def display_result(ctx: _Context, result_id: str, authenticated: bool = False) -> Response:
    if authenticated and ctx.session is None:
        return _login_required(ctx)
    found = ctx.state.catalog.result(result_id)
    if found is None:
        raise NotFound(f"no results page '{result_id}'")
    record = ctx.state.catalog.submission(found[0])
    assert record is not None
    if found[1] == "confirmation":
        return ctx.with_csrf(_html(pages.confirmation_page(record)))
    return ctx.with_csrf(_html(pages.results_page(record, result_id, ctx.csrf)))


def confirm(ctx: _Context) -> Response:
    state, request = ctx.state, ctx.request
    if ctx.session is None:
        return _login_required(ctx)
    if not ctx.csrf_valid():
        return _forbidden()
    session = ctx.session
    button = request.form.get("button", "")
    try:
        outcome = state.processor.finish(session, request.form.get("results_id", ""), button,
                                         state.sessions.holds_lock(session))
    except Trapped as exc:
        return _html(pages.error_page("Confirm", str(exc)))
    state.stats.incr("confirms" if outcome.state == "CONFIRMED" else "cancels")
    state.sessions.logout(session)
    response = _finish_post(ctx, outcome)
    response.delete_cookie("sessionid", path="/")
    return response


def monitor(ctx: _Context, key: str) -> Response:
    if not ctx.state.catalog.channel_exists(key):
        raise NotFound(f"no channel '{key}'")
    items = "".join(f"<li class='{m['type']}'>{m['time']} {m['data']}</li>"
                    if isinstance(m["data"], str) else
                    f"<li class='{m['type']}'>{m['time']} done: {m['data']['result']}</li>"
                    for m in ctx.state.catalog.messages(key, 0))
    return _html(f"<html><head><title>Monitor {key}</title></head><body><ul>{items}</ul>"
                 "</body></html>")


def rpc(ctx: _Context) -> Response:
    ctx.state.stats.incr("rpc_calls")
    answer = ctx.state.rpc.handle(ctx.request.get_data())
    return Response(json.dumps(answer), content_type="application/json-rpc")


def unchecked_get(ctx: _Context, kind: str, obs: str, name: str) -> Response:
    state = ctx.state
    info = state.catalog.delivered(name)
    if obs != state.project or info is None or info["kind"] != kind.rstrip("s"):
        raise NotFound(f"no {kind[:-1]} '{name}'")
    path = (state.rules.path(name) if kind == "mappings" else state.references_dir / name)
    handle = open(path, "rb")  # noqa: SIM115 (closed by the WSGI server via wrap_file)
    return Response(wrap_file(ctx.request.environ, handle), direct_passthrough=True,
                    content_type="application/octet-stream",
                    headers={"Content-Length": str(info["size"])})


def browse(ctx: _Context, name: str) -> Response:
    """/browse/<name>: the page results and confirmation pages link to."""
    info = ctx.state.catalog.delivered(name)
    if info is None:
        raise NotFound(f"no file '{name}'")
    path = ctx.state.rules.path(name)
    text = path.read_text(encoding="utf-8") if info["kind"] == "mapping" else None
    return _html(pages.browse_page(info, text))


URLS = Map([
    Rule("/", endpoint=home),
    Rule("/submission_form/redcat_description.yml", endpoint=description),
    Rule("/lock_status/<user>/", endpoint=lock_status),
    Rule("/login/", endpoint=login, methods=["GET", "POST"]),
    Rule("/logout/", endpoint=logout),
    Rule("/upload/list/", endpoint=upload_list),
    Rule("/upload/delete/<name>/", endpoint=upload_delete, methods=["GET", "POST", "DELETE"]),
    Rule("/upload/chunked/", endpoint=upload, methods=["GET", "POST"]),
    Rule("/upload/new/", endpoint=upload, methods=["GET", "POST"]),
    Rule("/jpoll/open_channel/", endpoint=open_channel),
    *[Rule(url, endpoint=submission, methods=["GET", "POST"]) for url in SUBMISSION_URLS],
    Rule("/certify/", endpoint=certify, methods=["GET", "POST"]),
    *[Rule(url, endpoint=unsupported, methods=["GET", "POST"]) for url in UNSUPPORTED_URLS],
    Rule("/display_result/<result_id>/", endpoint=display_result),
    Rule("/authenticated_result/<result_id>/", endpoint=display_result,
         defaults={"authenticated": True}),
    Rule("/submit_confirm/", endpoint=confirm, methods=["POST"]),
    Rule("/submit_confirm_pipeline/", endpoint=confirm, methods=["POST"]),
    Rule("/monitor/<key>/", endpoint=monitor),
    Rule("/browse/<name>", endpoint=browse),
    Rule("/json/", endpoint=rpc, methods=["POST"]),
    Rule("/json/<path:rest>", endpoint=rpc, methods=["POST"]),
    Rule("/unchecked_get/<any(mappings, references):kind>/<obs>/<name>", endpoint=unchecked_get),
], strict_slashes=False)


class SandboxApp:
    """The WSGI callable: path clean-up, fault injection, counting, then routing."""

    def __init__(self, state: State) -> None:
        self.state = state

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = _SLASHES.sub("/", environ.get("PATH_INFO", "/") or "/")
        environ["PATH_INFO"] = path
        faults, stats = self.state.faults, self.state.stats
        stats.incr("requests")
        drop = faults.take_drop(path)
        if drop == "before":
            return self._drop(environ, start_response)
        pause = faults.take_delay(path)
        if pause:
            time.sleep(pause)
        faults.wait_if_held(path)
        status = faults.take_error(path)
        if status:
            return Response(f"{status} (fault injected)", status=status)(environ, start_response)
        request = Request(environ)
        adapter = URLS.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
            if "rest" in args:
                args.pop("rest")
            response = endpoint(_Context(request, self.state), **args)
        except HTTPException as exc:
            response = exc.get_response(environ)
        finally:
            request.close()  # closes spooled upload files now, not at garbage collection
        if drop == "after":
            return self._drop(environ, start_response)
        return response(environ, start_response)

    @staticmethod
    def _drop(environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Close the client connection without a response (a dropped connection)."""
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        start_response("500 Dropped", [])  # never reaches the client: the socket is shut
        return [b""]
