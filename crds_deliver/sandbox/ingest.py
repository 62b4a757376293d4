"""Per-user ingest areas: list, delete, and uploads in one POST or in Content-Range chunks.

Chunks must arrive in order: a chunk starting after the bytes received so far is a gap, one
starting before is an overlap; both are refused (409) rather than silently producing a corrupt
file. A partial upload lives under `.partial/` and appears in the listing only when complete.
Uploaded data is written as it arrives from the request body (sandbox/multipart.py), never
held whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crds_deliver.sandbox.naming import UPLOAD_NAME_RE

_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class IngestError(Exception):
    """A refused upload or delete: carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ContentRange:
    start: int
    end: int  # inclusive
    total: int

    @classmethod
    def parse(cls, header: str) -> ContentRange:
        match = _RANGE_RE.match(header.strip())
        if not match:
            raise IngestError(400, f"malformed Content-Range '{header}'; "
                                   "expected 'bytes <start>-<end>/<total>'")
        start, end, total = (int(g) for g in match.groups())
        if end < start or end >= total:
            raise IngestError(400, f"inconsistent Content-Range '{header}'")
        return cls(start, end, total)


class IngestArea:
    """The ingest folder of one user."""

    def __init__(self, root: Path, user: str, max_file_size: int) -> None:
        self.dir = root / user
        self.partial_dir = self.dir / ".partial"
        self.max_file_size = max_file_size
        if not self.dir.is_dir():  # one stat; mkdir(exist_ok) would fail and catch each time
            self.dir.mkdir(parents=True, exist_ok=True)

    def check_name(self, name: str) -> str:
        if not UPLOAD_NAME_RE.match(name or ""):
            raise IngestError(400, f"invalid file name '{name}': use letters, digits, "
                                   "'.', '_' and '-' only (at most 128)")
        return name

    def files(self) -> list[Path]:
        return sorted(p for p in self.dir.iterdir() if p.is_file())

    def listing(self) -> dict:
        """The JSON of /upload/list/ (§5.1 shape)."""
        return {"files": [self.entry(p) for p in self.files()]}

    @staticmethod
    def entry(path: Path) -> dict:
        return {"name": path.name, "size": path.stat().st_size,
                "deleteUrl": f"/upload/delete/{path.name}", "deleteType": "DELETE"}

    def delete(self, name: str) -> bool:
        path = self.dir / self.check_name(name)
        existed = path.exists()
        path.unlink(missing_ok=True)
        (self.partial_dir / name).unlink(missing_ok=True)
        return existed

    def check_size(self, size: int, name: str) -> None:
        if size > self.max_file_size:
            raise IngestError(413, f"file '{name}' has {size} bytes, more than this server "
                                   f"accepts ({self.max_file_size})")

    def receive(self, name: str, content_range: ContentRange | None) -> Receiving:
        """Start writing an uploaded file (or, with `content_range`, one chunk of it) as its
        bytes arrive; refused at once when the name, the size or the chunk's place is wrong."""
        self.check_name(name)
        if not self.partial_dir.is_dir():
            self.partial_dir.mkdir(exist_ok=True)
        part = self.partial_dir / name
        if content_range is None:
            return Receiving(self, name, part, 0, None)
        self.check_size(content_range.total, name)
        have = part.stat().st_size if part.exists() and content_range.start > 0 else 0
        if content_range.start > have:
            raise IngestError(409, f"gap in upload of '{name}': chunk starts at byte "
                                   f"{content_range.start} but {have} bytes were received")
        if content_range.start < have:
            raise IngestError(409, f"overlapping chunk for '{name}': chunk starts at byte "
                                   f"{content_range.start} but {have} bytes were received")
        return Receiving(self, name, part, content_range.start, content_range)



class Receiving:
    """One upload post being written under `.partial/`: `write` each piece as it arrives,
    then `finish` (the file moves into the listing once complete) or `abort` (the partial
    file goes back to what it was before this post)."""

    def __init__(self, area: IngestArea, name: str, part: Path, offset: int,
                 content_range: ContentRange | None) -> None:
        self.area = area
        self.name = name
        self.part = part
        self.offset = offset
        self.content_range = content_range
        self.written = 0
        self.aborted = False
        self._out: BinaryIO = open(part, "ab" if offset else "wb")  # noqa: SIM115 (closed by finish/abort)

    def write(self, data: memoryview) -> None:
        self.written += len(data)
        if self.offset + self.written > self.area.max_file_size:
            self.abort()
            raise IngestError(413, f"file '{self.name}' exceeds the size this server "
                                   f"accepts ({self.area.max_file_size} bytes)")
        self._out.write(data)

    def finish(self) -> Path | None:
        """Close the file; returns its place in the listing when it is complete."""
        self._out.close()
        content_range = self.content_range
        if content_range is None:
            return self.part.replace(self.area.dir / self.name)
        expected = content_range.end - content_range.start + 1
        if self.written != expected:
            self.abort()
            raise IngestError(400, f"chunk of '{self.name}' has {self.written} bytes but "
                                   f"Content-Range announces {expected}")
        if content_range.end + 1 < content_range.total:
            return None
        return self.part.replace(self.area.dir / self.name)

    def abort(self) -> None:
        """Undo this post: a first piece is deleted, a later chunk cut off again."""
        if self.aborted:
            return
        self.aborted = True
        self._out.close()
        if self.offset:
            with open(self.part, "r+b") as handle:
                handle.truncate(self.offset)
        else:
            self.part.unlink(missing_ok=True)
