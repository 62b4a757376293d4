"""A streaming reader of multipart/form-data bodies, for the sandbox's upload posts.

Werkzeug's generic form parser was half of the sandbox's time per 2 MB upload chunk: it cuts
the body into small events and copies every piece several times on its way to a file
object. This reader fills one large buffer from the request body (with `readinto`, straight
from the socket when the server's input allows it), finds the boundary with one
`bytearray.find` over the whole block, and hands a part's data out as memoryviews of that
buffer, which the caller writes where it belongs. Memory stays one buffer however large the
body is.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from werkzeug.http import parse_options_header

BLOCK = 1024 * 1024  # bytes read from the body at a time
MAX_HEADERS = 16 * 1024  # a part's header block; real ones are about 100 bytes


class MultipartError(ValueError):
    """The body is not the multipart/form-data its Content-Type announced."""


class Body(Protocol):
    """A WSGI input stream: `read` always; `readinto` where the server offers it."""

    def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class Part:
    """One part's Content-Disposition: the form field's name, and the file name of a file
    part (None for a plain field)."""

    name: str
    filename: str | None


def boundary_of(content_type: str | None) -> bytes | None:
    """The boundary of a multipart/form-data Content-Type, or None for any other body."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if kind != "multipart/form-data" or not boundary or len(boundary) > 200:
        return None
    return boundary.encode("latin-1", "replace")


_BUFFERS = threading.local()


def _buffer(size: int) -> bytearray:
    """This thread's reading buffer: a server thread reuses one for every post it serves,
    instead of allocating (and faulting in) a fresh megabyte per 2 MB chunk."""
    buffer = getattr(_BUFFERS, "buffer", None)
    if buffer is None or len(buffer) != size:
        buffer = _BUFFERS.buffer = bytearray(size)
    return buffer


def field_value(data: Iterator[memoryview], limit: int) -> str:
    """A plain field's value as text; refused past `limit` bytes (fields are short)."""
    value = bytearray()
    for piece in data:
        value += piece
        if len(value) > limit:
            raise MultipartError(f"a form field is longer than {limit} bytes")
    return value.decode("utf-8", "replace")


class MultipartReader:
    """Iterates over the parts of one body: `for part, data in reader:` where `data` yields
    the part's bytes as memoryviews, each valid until the next one is asked for. A part the
    caller does not read to its end is skipped when the next part is asked for."""

    def __init__(self, body: Body, boundary: bytes, length: int | None,
                 block: int = BLOCK) -> None:
        self._body = body
        self._readinto = getattr(body, "readinto", None)
        self._remaining = length  # None: read to the end of the stream
        self._delimiter = b"\r\n--" + boundary
        self._buffer = _buffer(max(block, MAX_HEADERS + len(self._delimiter) + 4))
        self._view = memoryview(self._buffer)
        # The first boundary has no line break before it: start as if one had been read.
        self._buffer[:2] = b"\r\n"
        self._start, self._end = 0, 2

    def __iter__(self) -> Iterator[tuple[Part, Iterator[memoryview]]]:
        for _ in self._data():  # the preamble, before the first boundary, is ignored
            pass
        while self._after_boundary():
            part = self._headers()
            data = self._data()
            yield part, data
            for _ in data:  # whatever the caller left unread
                pass
        self.drain()

    def drain(self) -> None:
        """Read and drop the rest of the body (the epilogue), so that the connection can
        carry the next request."""
        self._start = self._end = 0
        while self._fill():
            self._start = self._end = 0

    # --- internals --------------------------------------------------------------------

    def _fill(self) -> int:
        """Move the unread bytes to the front of the buffer and read more after them;
        returns the number of bytes read (0 at the end of the body)."""
        unread = self._end - self._start
        if self._start:
            self._buffer[:unread] = self._buffer[self._start:self._end]
            self._start, self._end = 0, unread
        room = len(self._buffer) - self._end
        if self._remaining is not None:
            room = min(room, self._remaining)
        if room <= 0:
            return 0
        target = self._view[self._end:self._end + room]
        if self._readinto is not None:
            count = self._readinto(target) or 0
        else:
            data = self._body.read(room)
            count = len(data)
            target[:count] = data
        self._end += count
        if self._remaining is not None:
            self._remaining -= count
        return count

    def _data(self) -> Iterator[memoryview]:
        """The bytes up to the next delimiter, which is consumed."""
        delimiter = self._delimiter
        keep = len(delimiter) - 1  # a delimiter may begin in the last bytes of a block
        while True:
            found = self._buffer.find(delimiter, self._start, self._end)
            if found >= 0:
                if found > self._start:
                    yield self._view[self._start:found]
                self._start = found + len(delimiter)
                return
            safe = self._end - keep
            if safe > self._start:
                yield self._view[self._start:safe]
                self._start = safe
            if not self._fill():
                raise MultipartError("the body ends before its closing boundary")

    def _need(self, count: int) -> None:
        while self._end - self._start < count:
            if not self._fill():
                raise MultipartError("the body ends inside a part's headers")

    def _after_boundary(self) -> bool:
        """After a delimiter: False at the closing one (`--`), else True with the line
        ending (and any padding before it) consumed."""
        self._need(2)
        if self._buffer[self._start:self._start + 2] == b"--":
            return False
        while (found := self._buffer.find(b"\r\n", self._start, self._end)) < 0:
            if self._end - self._start > MAX_HEADERS or not self._fill():
                raise MultipartError("no line break after a boundary")
        self._start = found + 2
        return True

    def _headers(self) -> Part:
        self._need(2)
        if self._buffer[self._start:self._start + 2] == b"\r\n":  # a part without headers
            self._start += 2
            return Part("", None)
        while (found := self._buffer.find(b"\r\n\r\n", self._start, self._end)) < 0:
            if self._end - self._start > MAX_HEADERS or not self._fill():
                raise MultipartError("a part's headers are too long or unterminated")
        text = bytes(self._buffer[self._start:found]).decode("utf-8", "replace")
        self._start = found + 4
        disposition = ""
        for line in text.split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value.strip()
        _kind, options = parse_options_header(disposition)
        return Part(options.get("name", ""), options.get("filename"))
