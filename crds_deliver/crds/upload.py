"""Putting one file into the server's ingest area, streamed from disk.

Files under 2 000 000 bytes go in one multipart post; larger ones in 2 000 000-byte chunks,
each a multipart post with `Content-Range: bytes <start>-<end>/<total>` (end inclusive), the
CSRF token of each chunk taken from the previous answer's cookie. Only one chunk is ever in
memory, so a 10 GB file costs what a 10 kB file does. A chunk that gets no answer is sent
again; if the server had kept the first copy it refuses the second as an overlap, and the file
is then sent again from its first byte (once): a retry never leaves a corrupt file behind.

The sha1 of a file is computed from the very bytes that are sent, so the caller can compare it
with the planned digest: a file rewritten between `plan` and the upload is caught before the
form is posted, and the record never claims bytes the server did not receive.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crds_deliver.crds.errors import IngestError
from crds_deliver.crds.http import Http

CHUNK_SIZE = 2_000_000
UPLOAD_PATH = "upload/chunked/"

Progress = Callable[[str, int, int], None]  # (file name, bytes sent, total)


@dataclass(frozen=True)
class Uploaded:
    """What one file's upload did: the posts it took, and the size and sha1 of the bytes sent
    (of the last, complete attempt)."""

    posts: int
    size: int
    sha1: str


def chunks(path: Path, size: int, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) pieces of a file, read sequentially; one piece in memory at a time."""
    with path.open("rb") as handle:
        offset = 0
        while offset < size or (size == 0 and offset == 0):
            data = handle.read(chunk_size)
            if not data and size:
                raise IngestError(f"{path}: file shrank while uploading ({offset} of {size})")
            yield offset, data
            offset += len(data)
            if size == 0:
                return


def multipart(name: str, data: bytes, csrf: str, boundary: str) -> tuple[bytes, str]:
    """The multipart/form-data body of one upload post (a `csrfmiddlewaretoken` part and a
    `files` part without Content-Type, as the reference client sends), built with one copy of
    the chunk instead of the several a generic encoder makes.

    Callers keep one random boundary for all the chunks of a file: servers compile a parser
    per boundary (Werkzeug caches it), and a fresh one per 2 MB chunk costs milliseconds."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
            f"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"files\"; filename=\"{quoted}\"\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return b"".join((head, data, tail)), f"multipart/form-data; boundary={boundary}"


def upload_file(http: Http, path: Path, name: str, *, on_progress: Progress | None = None,
                chunk_size: int = CHUNK_SIZE) -> Uploaded:
    """Upload `path` as `name`; returns the posts of the complete attempt and the digest of
    the bytes it sent."""
    try:
        return _upload_once(http, path, name, on_progress, chunk_size)
    except IngestError as first_error:
        if path.stat().st_size < chunk_size:
            raise
        try:
            return _upload_once(http, path, name, on_progress, chunk_size)
        except IngestError:
            raise first_error from None


def _upload_once(http: Http, path: Path, name: str, on_progress: Progress | None,
                 chunk_size: int) -> Uploaded:
    size = path.stat().st_size
    first = http.get(UPLOAD_PATH)
    token = http.csrf_token(first)
    if not token:
        raise IngestError(f"{http.base_url}{UPLOAD_PATH}: the server set no csrftoken cookie")
    posts = 0
    sent = 0
    sha1 = hashlib.sha1()
    boundary = secrets.token_hex(16)
    if on_progress:
        on_progress(name, 0, size)
    for offset, data in chunks(path, size, chunk_size):
        body, content_type = multipart(name, data, token, boundary)
        headers = {"Content-Type": content_type}
        if size >= chunk_size:
            headers["Content-Range"] = f"bytes {offset}-{offset + len(data) - 1}/{size}"
        response = http.request("POST", UPLOAD_PATH, safe=True, headers=headers, data=body)
        posts += 1
        if not 200 <= response.status_code < 300:
            raise http.fail(IngestError, f"uploading {name}: the server answered HTTP "
                                         f"{response.status_code} at byte {offset} of {size}")
        sha1.update(data)
        sent += len(data)
        token = http.csrf_token(response) or token
        if on_progress:
            on_progress(name, offset + len(data), size)
    return Uploaded(posts, sent, sha1.hexdigest())
