"""The CRDS web protocol, one method per step: login, lock status, ingest area, upload,
progress channel, submission post, results page, confirm/cancel, logout.

Every page the client depends on is checked the way the reference client meant to and more:
HTTP status, `id=error_message`, `class=error_message`, `id=error_login`, a "MyST SSO
Portal" title and a final URL back at the login page all count as failures. Nothing here
prints or keeps state beyond the session; apply.py drives the order and the record.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from crds_deliver.crds.errors import (
    CrdsError,
    IngestError,
    LoginError,
    SessionExpired,
    SubmissionError,
)
from crds_deliver.crds.form import Context, resolve_context
from crds_deliver.crds.http import Http, RequestEvent, Timeouts, is_login_page
from crds_deliver.crds.pages import Page, ResultsPage, error_text, mapping_links, read_results
from crds_deliver.crds.rpc import ChannelNotFound, JsonRpc
from crds_deliver.crds.upload import Progress, Uploaded, Uploader
from crds_deliver.credentials import Token

SUBMIT_PATH = "submission_form/redcat_submit/"
CONFIRM_PATHS = ("submit_confirm/", "submit_confirm_pipeline/")


@dataclass(frozen=True)
class IngestFile:
    """A file in the user's ingest area on the server."""

    name: str
    size: int
    delete_url: str


@dataclass(frozen=True)
class KnownFile:
    """A file the server already has: official name, state (delivered, uploaded, ...), the
    name it was uploaded as, and the results page of its pending submission when the server
    says (the sandbox does; CRDS servers may not)."""

    name: str
    state: str
    uploaded_as: str
    results_url: str | None


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Message:
    """One progress message of the channel (text already HTML-unescaped)."""

    id: int | None
    time: str | None
    type: str
    text: str
    data: Any = None


@dataclass
class SubmitOutcome:
    """How a submission post ended, as far as the channel and the post's answer tell."""

    messages: list[Message] = field(default_factory=list)
    results_url: str | None = None
    done_status: int | None = None
    error: str | None = None
    post_lost: str | None = None  # the post got no answer (transport error): state unknown

    @property
    def results_id(self) -> str | None:
        return results_id_of(self.results_url) if self.results_url else None


def _is_results_page(url: str) -> bool:
    """A submission's results page (`display_result/<id>`, `authenticated_result/<id>`)."""
    return "result" in urlsplit(url).path


def results_id_of(url: str) -> str:
    """The results id is the last path segment of the ready URL (a UUID)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


class CrdsClient:
    """A session with one CRDS server for one user."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str,
        token: Token,
        project: str,
        on_request: Callable[[RequestEvent], None] | None = None,
        timeouts: Timeouts | None = None,
        poll_seconds: float = 3.0,
        retries: int = 3,
    ) -> None:
        self.http = Http(base_url, token=token, timeouts=timeouts, retries=retries,
                         on_request=on_request)
        self.rpc = JsonRpc(self.http)
        self.username = username
        self.token = token
        self.project = project
        self.poll_seconds = poll_seconds
        self.logged_in = False
        self._upload_token: str | None = None  # the last upload's CSRF token (upload.py)
        self._uploader = Uploader(self.http)

    @property
    def base_url(self) -> str:
        return self.http.base_url

    # ----- pages --------------------------------------------------------------------------

    def _check(self, response: requests.Response, what: str,
               error_type: type[CrdsError] = CrdsError) -> Page:
        """Raise when a page shows an error or bounced to the login page; else the page."""
        if not 200 <= response.status_code < 300:
            raise self.http.fail(error_type, f"{what}: HTTP {response.status_code} from "
                                             f"{urlsplit(response.url).path}")
        page = Page(response.text)
        problem = error_text(page)
        if problem:
            raise self.http.fail(error_type, f"{what}: the server says: {html.unescape(problem)}")
        return page

    def _bounced_to_login(self, response: requests.Response) -> bool:
        return (urlsplit(response.url).netloc != urlsplit(self.base_url).netloc
                or is_login_page(response.url)
                or "MyST SSO Portal" in Page(response.text).title)

    # ----- JSON-RPC -----------------------------------------------------------------------

    def server_info(self) -> dict[str, Any]:
        info = self.rpc.call("get_server_info")
        if not isinstance(info, dict):
            raise CrdsError("get_server_info: the server's answer is not an object")
        return info

    def resolve_context(self, requested: str) -> Context:
        return resolve_context(requested, self.project, self.server_info(),
                               lambda spec: self.rpc.call("get_context_by_date", spec,
                                                          self.project))

    def known_sha1s(self) -> dict[str, str]:
        """sha1 → name of every file the server knows (for the duplicate check)."""
        return {sha1: known.name for sha1, known in self.known_files().items()}

    def known_files(self) -> dict[str, KnownFile]:
        """sha1 → what the server says of every file it knows, pending ones included where
        the server lists them (to adopt a submission another run already posted)."""
        info = self.rpc.call("get_file_info_map", self.project, None,
                             ["sha1sum", "state", "uploaded_as", "results_url"])
        if not isinstance(info, dict):
            raise CrdsError("get_file_info_map: the server's answer is not an object")
        return {str(v["sha1sum"]): KnownFile(str(name), str(v.get("state") or ""),
                                             str(v.get("uploaded_as") or name),
                                             _text_or_none(v.get("results_url")))
                for name, v in info.items() if isinstance(v, dict) and v.get("sha1sum")}

    def file_sha1s(self, names: list[str]) -> dict[str, str]:
        """name → sha1 the server holds for each of `names` it knows."""
        info = self.rpc.call("get_file_info_map", self.project, names, ["sha1sum"])
        if not isinstance(info, dict):
            raise CrdsError("get_file_info_map: the server's answer is not an object")
        return {str(name): str(v["sha1sum"]) for name, v in info.items()
                if isinstance(v, dict) and v.get("sha1sum")}

    def mapping_names(self, context: str) -> list[str]:
        names = self.rpc.call("get_mapping_names", context)
        return [str(n) for n in names] if isinstance(names, list) else []

    # ----- login, locks -------------------------------------------------------------------

    def lock_status(self) -> dict[str, Any]:
        """The user's instrument lock as the server reports it (works before login)."""
        response = self.http.get(f"lock_status/{self.username}/")
        if response.status_code != 200:
            raise self.http.fail(CrdsError, f"lock_status: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise CrdsError("lock_status: the server's answer is not JSON") from None
        return data if isinstance(data, dict) else {}

    def login(self, instrument: str) -> None:
        """Log in and lock `instrument`: token as ASB-AUTH cookie and as the password field."""
        first = self.http.get("login/")
        page = self._check(first, "login page", LoginError)
        offered = [o.lower() for o in page.select_options("instrument")]
        if offered and instrument.lower() not in offered:
            raise LoginError(f"login: the server offers no instrument {instrument!r} "
                             f"(it offers {', '.join(offered)})")
        csrf = self.http.csrf_token(first)
        if not csrf:
            raise LoginError("login page: the server set no csrftoken cookie")
        host = urlsplit(self.base_url).hostname or ""
        self.http.session.cookies.set("ASB-AUTH", self.token.reveal(), domain=host, path="/")
        response = self.http.request("POST", "login/", safe=False, data={
            "username": self.username, "password": self.token.reveal(),
            "instrument": instrument.lower(), "next": "/", "csrfmiddlewaretoken": csrf})
        self._check(response, f"login as {self.username!r}", LoginError)
        self._upload_token = None  # a new session: the first upload fetches its own
        if self._bounced_to_login(response):
            raise LoginError(f"login as {self.username!r} to {self.base_url} was refused "
                             "(the server sent us back to its login page): is the MAST token "
                             "valid and the account allowed to submit?")
        self.logged_in = True

    def logout(self) -> None:
        """Release the session and the instrument lock; a failure here is not worth raising."""
        if not self.logged_in:
            return
        with contextlib.suppress(CrdsError):  # its redirect (to the home page) is not followed
            self.http.get("logout/", stop_at=lambda _target: True)
        self.logged_in = False

    # ----- ingest area ----------------------------------------------------------------------

    def list_ingest(self) -> list[IngestFile]:
        response = self.http.get("upload/list/", headers={"Accept": "application/json"})
        self._check_json_status(response, "upload/list")
        # the listing sets the session's CSRF cookie: the first upload starts with it instead
        # of fetching the upload page for one (upload.py)
        self._upload_token = self._upload_token or self.http.csrf_token(response)
        try:
            data = response.json()
        except ValueError:
            raise IngestError("upload/list: the server's answer is not JSON") from None
        entries = data.get("files", []) if isinstance(data, dict) else data
        try:
            return [IngestFile(str(e["name"]), int(e["size"]), str(e.get("deleteUrl", "")))
                    for e in entries]
        except (KeyError, TypeError, ValueError):
            raise IngestError("upload/list: unexpected entries in the server's answer") from None

    def _check_json_status(self, response: requests.Response, what: str) -> None:
        if response.status_code == 200 and self._bounced_to_login(response):
            self.logged_in = False
            raise SessionExpired(f"{what}: the server sent us back to its login page (the "
                                 "session ended)")
        if response.status_code != 200:
            raise self.http.fail(IngestError, f"{what}: HTTP {response.status_code} "
                                              f"({urlsplit(response.url).path})")

    def delete_ingest(self, entry: IngestFile) -> None:
        url = entry.delete_url or f"upload/delete/{entry.name}"
        response = self.http.get(url)
        if not 200 <= response.status_code < 300:
            raise self.http.fail(IngestError, f"deleting {entry.name} from the ingest area: "
                                              f"HTTP {response.status_code}")

    def upload(self, path: Path, name: str, on_progress: Progress | None = None) -> Uploaded:
        """Upload one file (chunked when large); returns the posts and the sent bytes' sha1."""
        sent = self._uploader.upload(path, name, on_progress=on_progress,
                                     token=self._upload_token)
        self._upload_token = sent.token
        return sent

    # ----- progress channel and submission --------------------------------------------------

    def open_channel(self) -> str:
        """Open the session's progress channel (before the post: the server writes to the
        channel stored in the session that posts)."""
        response = self.http.get("jpoll/open_channel")
        self._check_json_status(response, "jpoll/open_channel")
        try:
            key = response.json()
        except ValueError:
            raise SubmissionError("jpoll/open_channel: the answer is not JSON") from None
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9:.-]{1,128}", key):
            raise SubmissionError("jpoll/open_channel: the answer is not a channel key")
        return key

    def pull(self, key: str, since: int) -> list[Message]:
        raw = self.rpc.call("jpoll_pull_messages", key, str(since))
        messages = []
        for item in raw if isinstance(raw, list) else []:
            data = item.get("data")
            text = html.unescape(data) if isinstance(data, str) else ""
            if isinstance(data, dict) and isinstance(data.get("result"), str):
                data = {**data, "result": html.unescape(data["result"])}
                text = f"done: status {data.get('status')}, {data['result']}"
            messages.append(Message(item.get("id"), item.get("time"), str(item.get("type")),
                                    self.http.redact(text), data))
        return messages

    def submission_token(self) -> str:
        """GET the submission form: proves the session is still logged in and gives the CSRF
        token. Done before the record says SUBMITTING, so a failure here provably posted
        nothing."""
        first = self.http.get(SUBMIT_PATH)
        page = self._check(first, "submission form", SubmissionError)
        if self._bounced_to_login(first) or page.by_id("id_password") is not None:
            self.logged_in = False
            raise SessionExpired("submission form: the server sent us back to its login page "
                                 "(the session ended)")
        csrf = self.http.csrf_token(first)
        if not csrf:
            raise SubmissionError("submission form: the server set no csrftoken cookie")
        return csrf

    def submit(self, fields: dict[str, str], key: str, csrf: str, *,
               on_message: Callable[[Message], None] | None = None,
               timeout: float | None = None) -> SubmitOutcome:
        """Post the submission form (once, never retried) in a background thread while pulling
        the channel; stop at `done`, or when the post returns a page with an error. A post
        that gets no answer at all may still be processed: the channel is then followed until
        it has been quiet for `Timeouts.quiet` seconds."""
        posted: dict[str, Any] = {}

        def post() -> None:
            try:
                posted["response"] = self.http.request(
                    "POST", SUBMIT_PATH, safe=False, timeout=self.http.timeouts.submit,
                    stop_at=_is_results_page, data={**fields, "csrfmiddlewaretoken": csrf})
            except CrdsError as exc:
                posted["error"] = str(exc)

        thread = threading.Thread(target=post, name="crds-submit-post", daemon=True)
        thread.start()
        return self._follow(key, 0, on_message, thread, posted, timeout)

    def follow(self, key: str, since: int, *, on_message: Callable[[Message], None] | None = None,
               timeout: float | None = None) -> SubmitOutcome:
        """Follow a channel whose post was made by an earlier run (resume after a crash); stop
        with `post_lost` set when it stays quiet for `Timeouts.quiet` seconds without `done`."""
        return self._follow(key, since, on_message, None, {}, timeout)

    def _follow(self, key: str, since: int, on_message: Callable[[Message], None] | None,
                thread: threading.Thread | None, posted: dict[str, Any],
                timeout: float | None) -> SubmitOutcome:
        outcome = SubmitOutcome()
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.05  # short at first (quick submissions), doubling up to poll_seconds
        quiet_since: float | None = None  # set while the post is lost without an answer
        while True:
            post_finished = thread is not None and not thread.is_alive()
            try:
                batch = self.pull(key, since)
            except ChannelNotFound:
                batch = []
                if thread is None:
                    outcome.error = f"the progress channel {key} is not known to the server"
                    return outcome
            for message in batch:
                if message.id is not None:
                    since = max(since, int(message.id))
                outcome.messages.append(message)
                if on_message:
                    on_message(message)
                if message.type == "done" and isinstance(message.data, dict):
                    outcome.done_status = int(message.data.get("status", 0))
                    outcome.results_url = message.data.get("result")
            if outcome.done_status is not None:
                break
            if post_finished and "error" not in posted:
                self._read_post(posted, outcome)
                break
            now = time.monotonic()
            if post_finished:
                outcome.post_lost = posted["error"]
            if post_finished or thread is None:  # no answer of ours can still come
                quiet_since = now if quiet_since is None or batch else quiet_since
                if now - quiet_since > self.http.timeouts.quiet:
                    outcome.post_lost = outcome.post_lost or (
                        f"posted by an earlier run; the progress channel stayed quiet for "
                        f"{self.http.timeouts.quiet:g} s")
                    return outcome
            if deadline is not None and now > deadline:
                outcome.error = "gave up waiting for the server to finish processing"
                return outcome
            time.sleep(pause)
            pause = min(pause * 2, self.poll_seconds)
        if thread is not None and outcome.results_url is None and "error" not in posted:
            thread.join(self.http.timeouts.submit)
            self._read_post(posted, outcome)
        return outcome

    def _read_post(self, posted: dict[str, Any], outcome: SubmitOutcome) -> None:
        """What the submission post's own answer says (a trapped error page has no `done`)."""
        response = posted.get("response")
        if response is None:
            return
        results = self.http.redirect_target(response)  # the post's answer is not followed there
        if results is not None:
            outcome.results_url = outcome.results_url or results
            return
        try:
            self._check(response, "submission", SubmissionError)
        except SubmissionError as exc:
            outcome.error = str(exc)
            return
        if _is_results_page(response.url):
            outcome.results_url = outcome.results_url or response.url
        elif self._bounced_to_login(response):
            outcome.error = "submission: the server sent us back to the login page"
        elif outcome.results_url is None:
            outcome.error = ("submission: the server answered without a results page and "
                             "without a done message")

    # ----- results, confirm, cancel ---------------------------------------------------------

    def results_page_url(self, results_id: str) -> str:
        return self.http.url(f"display_result/{results_id}")

    def results(self, url: str, uploaded: list[str]) -> ResultsPage:
        """Read a results page (READY or BAD FILES, file names, diffs)."""
        response = self.http.get(url)
        if not 200 <= response.status_code < 300:
            raise self.http.fail(CrdsError, f"results page {urlsplit(url).path}: HTTP "
                                             f"{response.status_code}")
        return read_results(response.text, uploaded)

    def finish(self, results_id: str, button: str, action: str | None = None) -> str:
        """Confirm or cancel a submission (`button` = confirm | cancel); never retried.
        Returns the HTML of the page the server answers with (the confirmation page)."""
        if button not in ("confirm", "cancel"):
            raise ValueError(button)
        first = self.http.get(f"display_result/{results_id}")
        self._check(first, "results page", SubmissionError)
        csrf = self.http.csrf_token(first)
        if not csrf:
            raise SubmissionError("results page: the server set no csrftoken cookie")
        path = action if action else CONFIRM_PATHS[0]
        response = self.http.request("POST", path, safe=False, timeout=self.http.timeouts.submit,
                                     data={"results_id": results_id, "button": button,
                                           "csrfmiddlewaretoken": csrf})
        self._check(response, f"{button} of {results_id}", SubmissionError)
        if self._bounced_to_login(response):
            raise SubmissionError(f"{button} of {results_id}: the server sent us back to its "
                                  "login page (the session or the instrument lock is gone)")
        self.logged_in = False  # the server logs the user out after confirm/cancel
        return response.text

    def new_mappings(self, page_html: str, old_context: str) -> tuple[dict[str, str], list[str]]:
        """old → new mapping names after a confirmation, read from the server, never guessed:
        the page links the old pmap to the new one; the new pmap's closure, compared with the
        old one's by name without serial, pairs each new imap/rmap with what it replaces.
        Returns (old → new, names of mappings that replace nothing)."""
        pairs = mapping_links(page_html)
        old_pmap = next((old for old in pairs if old.endswith(".pmap")), old_context)
        new_pmap = pairs.get(old_pmap)
        if not new_pmap:
            return pairs, []
        old_closure = self.mapping_names(old_pmap)
        by_stem = {_stem(name): name for name in old_closure}
        added = []
        for name in sorted(set(self.mapping_names(new_pmap)) - set(old_closure)):
            old = by_stem.get(_stem(name))
            if old:
                pairs.setdefault(old, name)
            else:
                added.append(name)
        return pairs, added

    def close(self) -> None:
        self.logout()
        self._uploader.close()
        self.rpc.close()
        self.http.close()


def _stem(mapping: str) -> str:
    """`jwst_miri_dark_0012.rmap` → `jwst_miri_dark.rmap`: a mapping's identity across serials."""
    base, _, ext = mapping.rpartition(".")
    return re.sub(r"_\d{4}$", "", base) + "." + ext
