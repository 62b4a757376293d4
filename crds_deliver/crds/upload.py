"""Putting one file into the server's ingest area, streamed from disk.

Files under 2 000 000 bytes go in one multipart post; larger ones in 2 000 000-byte chunks,
each a multipart post with `Content-Range: bytes <start>-<end>/<total>` (end inclusive), the
CSRF token of each chunk taken from the previous answer's cookie. crds's client GETs the
upload page before every file for a fresh token; the server sets one on every chunk's answer
and on the ingest listing too, so here the first file of a session starts with the token the
listing before it set, and each later file with the token the previous one's last answer set:
one round trip less per file (on a real server, tens of milliseconds each). The page is
fetched only when no token was set, or when a token is refused (HTTP 403): the file is then
sent again with the fresh one.

At most two chunks are ever in memory (the one posted and the next, read meanwhile), so a
10 GB file costs what a 4 MB file does. A chunk that gets no answer is sent again; if the
server had kept the first copy it refuses the second as an overlap, and the file is then sent
again from its first byte (once): a retry never leaves a corrupt file behind.

The sha1 of a file is computed from the very bytes that are sent, so the caller can compare it
with the planned digest: a file rewritten between `plan` and the upload is caught before the
form is posted, and the record never claims bytes the server did not receive.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crds_deliver.crds.direct_post import DirectPost
from crds_deliver.crds.errors import IngestError, SessionExpired
from crds_deliver.crds.http import Http, is_login_page

CHUNK_SIZE = 2_000_000
UPLOAD_PATH = "upload/chunked/"

Progress = Callable[[str, int, int], None]  # (file name, bytes sent, total)


@dataclass(frozen=True)
class Uploaded:
    """What one file's upload did: the posts it took, the size and sha1 of the bytes sent
    (of the last, complete attempt), and the CSRF token its last answer set (for the next)."""

    posts: int
    size: int
    sha1: str
    token: str


class _Posts:
    """The multipart/form-data bodies of one file's posts (a `csrfmiddlewaretoken` part and a
    `files` part without Content-Type, as the reference client sends), in two buffers used in
    turn: while one chunk is posted from one, the next is read from disk into the other. Each
    chunk is read straight into its place between the envelope's head and tail, where slicing
    and joining would copy it twice more and fault in fresh memory for every chunk.

    One random boundary serves all the posts of a file: servers compile a parser per
    boundary (Werkzeug caches it), and a fresh one per 2 MB chunk costs milliseconds."""

    def __init__(self, name: str, chunk_size: int, buffers: int) -> None:
        self.boundary = secrets.token_hex(16)
        self.quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        # Room for the head before the chunk; it holds any CSRF token up to 256 characters
        # (Django's are 64), and a longer one is joined to a copy instead.
        self.room = len(self._head("")) + 256
        self.buffers = [memoryview(bytearray(self.room + chunk_size + len(self.tail)))
                        for _ in range(buffers)]

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(self, csrf: str) -> bytes:
        return (f"--{self.boundary}\r\nContent-Disposition: form-data; "
                f"name=\"csrfmiddlewaretoken\"\r\n\r\n{csrf}\r\n--{self.boundary}\r\n"
                f"Content-Disposition: form-data; name=\"files\"; "
                f"filename=\"{self.quoted}\"\r\n\r\n").encode()

    def read(self, turn: int, handle: BinaryIO, count: int) -> memoryview:
        """The next `count` bytes of `handle`, read into the buffer of `turn`; valid until that
        buffer's turn comes again. Raises IngestError when the file ends before."""
        data = self.buffers[turn % len(self.buffers)][self.room:self.room + count]
        if handle.readinto(data) != count:
            raise IngestError(f"{handle.name}: file shrank while uploading")
        return data

    def body(self, turn: int, count: int, csrf: str) -> memoryview:
        """The post of the `count` bytes `read` put in the buffer of `turn`, under `csrf`."""
        view = self.buffers[turn % len(self.buffers)]
        head = self._head(csrf)
        end = self.room + count
        if len(head) > self.room:
            return memoryview(b"".join((head, view[self.room:end], self.tail)))
        view[self.room - len(head):self.room] = head
        view[end:end + len(self.tail)] = self.tail
        return view[self.room - len(head):end + len(self.tail)]


class Uploader:
    """The uploads of one session: the posts to the upload page (DirectPost) and the helper
    thread that hashes each chunk and reads the next, both made once for all the files of a
    delivery. Made per file, the two were a third of the upload of a 1 MB file (a pool and
    its settings worked out afresh, a thread started and joined). `close` ends the thread."""

    def __init__(self, http: Http) -> None:
        self._http = http
        self._poster: DirectPost | None = None
        self._helper: ThreadPoolExecutor | None = None

    def upload(self, path: Path, name: str, *, on_progress: Progress | None = None,
               chunk_size: int = CHUNK_SIZE, token: str | None = None) -> Uploaded:
        """Upload `path` as `name`, starting with `token` (the previous file's) or else a
        fresh one from the upload page; returns the posts of the complete attempt, the digest
        of the bytes it sent and the token for the next file."""
        self._poster = self._poster or DirectPost(self._http, UPLOAD_PATH)
        self._helper = self._helper or ThreadPoolExecutor(1, "crds-upload-read")
        once = functools.partial(_upload_once, self._http, self._poster, self._helper, path,
                                 name, on_progress, chunk_size)
        try:
            try:
                return once(token)
            except _TokenRefused:  # this file starts again, with a token fetched afresh
                return once(None)
        except IngestError as first_error:
            if path.stat().st_size < chunk_size:
                raise
            try:
                return once(None)
            except IngestError:
                raise first_error from None

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown()
            self._helper = None


class _TokenRefused(Exception):
    """The server refused the previous file's CSRF token on this file's first post."""


def _fresh_token(http: Http) -> str:
    token = http.csrf_token(http.get(UPLOAD_PATH))
    if not token:
        raise IngestError(f"{http.base_url}{UPLOAD_PATH}: the server set no csrftoken cookie")
    return token


def _upload_once(http: Http, poster: DirectPost, helper: ThreadPoolExecutor, path: Path,
                 name: str, on_progress: Progress | None, chunk_size: int, token: str | None
                 ) -> Uploaded:
    size = path.stat().st_size
    reused = token is not None
    token = token or _fresh_token(http)
    sha1 = hashlib.sha1()
    counts = [min(chunk_size, size - offset) for offset in range(0, size, chunk_size)] or [0]
    bodies = _Posts(name, counts[0], buffers=min(len(counts), 2))
    if on_progress:
        on_progress(name, 0, size)

    def read_next_then_hash(turn: int, data: memoryview,
                            next_chunk: Future[memoryview | None]) -> None:
        """Runs once chunk `turn` is on its way, while its answer is awaited (the read and
        hashlib release the GIL): the read of the next chunk into the other buffer, handed to
        the posting at once, then the sha1 of this one, which goes on while the next chunk is
        posted. The sha1 is of the very bytes posted: this buffer is filled again only by the
        job after this one, which the helper runs after it. With the sha1 first, the next
        post waited for it too (about 1.3 ms of a 2 MB chunk's 4 ms on loopback; uploads are
        2-7% faster this way); started with the post, both competed for the two cores with
        the sending of the chunk and the server's reading of it (12% slower on loopback)."""
        following = turn + 1
        try:
            next_chunk.set_result(bodies.read(following, handle, counts[following])
                                  if following < len(counts) else None)
        except BaseException as exc:  # the posting raises it; nothing more to hash
            next_chunk.set_exception(exc)
            return
        sha1.update(data)

    with path.open("rb") as handle:
        data = bodies.read(0, handle, counts[0])
        offset = 0
        for turn, count in enumerate(counts):  # an empty file: one empty post
            headers = {"Content-Type": bodies.content_type}
            if size >= chunk_size:
                headers["Content-Range"] = f"bytes {offset}-{offset + count - 1}/{size}"
            body = bodies.body(turn, count, token)
            following = _Once(helper, read_next_then_hash, turn, data)
            try:
                answer = poster.post(body, headers, on_sent=following.start)
            finally:  # started here if the post failed, or was answered before all was sent
                next_data = following.next_chunk()
            if answer.status_code == 403 and reused and turn == 0:
                raise _TokenRefused
            if answer.location and is_login_page(answer.location):
                raise SessionExpired(f"uploading {name}: the server sent the post to its "
                                     "login page (the session ended)")
            if not 200 <= answer.status_code < 300:
                raise http.fail(IngestError, f"uploading {name}: the server answered HTTP "
                                             f"{answer.status_code} at byte {offset} of "
                                             f"{size}")
            token = http.session.cookies.get("csrftoken") or token
            offset += count
            if on_progress:
                on_progress(name, offset, size)
            if next_data is not None:
                data = next_data
        following.hashed()  # the last chunk's sha1
    return Uploaded(len(counts), size, sha1.hexdigest(), token)


class _Once:
    """`job(turn, data, next_chunk)` in `executor`, started at most once: by `start` (the
    post's `on_sent`), or at the latest by `next_chunk`, which waits for the job's read of the
    next chunk, or `hashed`, which waits for the whole job."""

    def __init__(self, executor: ThreadPoolExecutor,
                 job: Callable[[int, memoryview, Future[memoryview | None]], None], turn: int,
                 data: memoryview) -> None:
        self._executor = executor
        self._job = job
        self._turn = turn
        self._data = data
        self._chunk: Future[memoryview | None] = Future()
        self._future: Future[None] | None = None

    def start(self) -> Future[None]:
        if self._future is None:
            self._future = self._executor.submit(self._job, self._turn, self._data, self._chunk)
        return self._future

    def next_chunk(self) -> memoryview | None:
        self.start()
        return self._chunk.result()

    def hashed(self) -> None:
        self.start().result()
