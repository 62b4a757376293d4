"""Per-user ingest areas: list, delete, and uploads in one POST or in Content-Range chunks.

Chunks must arrive in order: a chunk starting after the bytes received so far is a gap, one
starting before is an overlap; both are refused (409) rather than silently producing a corrupt
file. A partial upload lives under `.partial/` and appears in the listing only when complete.
Uploaded data is copied from Werkzeug's spooled temporary file in blocks, never held whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crds_deliver.sandbox.naming import UPLOAD_NAME_RE

_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_BLOCK = 1024 * 1024


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

    def put_whole(self, name: str, stream: BinaryIO, size_hint: int | None) -> Path:
        """Store a file sent in one POST, replacing any file of the same name."""
        self.check_name(name)
        if size_hint is not None:
            self.check_size(size_hint, name)
        self.partial_dir.mkdir(exist_ok=True)
        tmp = self.partial_dir / name
        written = self._copy(stream, tmp, "wb", name, 0)
        self.check_size(written, name)
        return tmp.replace(self.dir / name)

    def put_chunk(self, name: str, stream: BinaryIO, content_range: ContentRange) -> Path | None:
        """Append one chunk; returns the final path when the last chunk completed the file."""
        self.check_name(name)
        self.check_size(content_range.total, name)
        self.partial_dir.mkdir(exist_ok=True)
        part = self.partial_dir / name
        have = part.stat().st_size if part.exists() and content_range.start > 0 else 0
        if content_range.start > have:
            raise IngestError(409, f"gap in upload of '{name}': chunk starts at byte "
                                   f"{content_range.start} but {have} bytes were received")
        if content_range.start < have:
            raise IngestError(409, f"overlapping chunk for '{name}': chunk starts at byte "
                                   f"{content_range.start} but {have} bytes were received")
        expected = content_range.end - content_range.start + 1
        mode = "wb" if content_range.start == 0 else "ab"
        written = self._copy(stream, part, mode, name, content_range.start)
        if written != expected:
            self._truncate(part, content_range.start)
            raise IngestError(400, f"chunk of '{name}' has {written} bytes but Content-Range "
                                   f"announces {expected}")
        if content_range.end + 1 < content_range.total:
            return None
        return part.replace(self.dir / name)

    def _copy(self, stream: BinaryIO, path: Path, mode: str, name: str, offset: int) -> int:
        written = 0
        with open(path, mode) as out:
            while True:
                block = stream.read(_BLOCK)
                if not block:
                    break
                written += len(block)
                if offset + written > self.max_file_size:
                    out.close()
                    path.unlink(missing_ok=True)
                    raise IngestError(413, f"file '{name}' exceeds the size this server "
                                           f"accepts ({self.max_file_size} bytes)")
                out.write(block)
        return written

    @staticmethod
    def _truncate(path: Path, size: int) -> None:
        with open(path, "r+b") as handle:
            handle.truncate(size)
