"""crds's verdicts on files' bytes, kept for the life of the process.

`apply --sandbox` certifies every file twice in one process: `plan` in the client, then the
sandbox as the server does, on a copy of the same bytes. crds's certifier is by far the
dearest part of both (about 40 ms for a 1 MB HST file), and its verdict depends only on the
bytes, the file's name (crds reads the instrument and type from HST names) and the project,
so the second run takes the first one's findings. Callers that hashed the file while reading
it (plan, the sandbox) pass its sha256; without one, files above MAX_BYTES are not
remembered, as hashing them to recognise them again would cost a read of their own.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from crds_deliver.certify.findings import Finding

MAX_BYTES = 16 * 1024 * 1024
MAX_ENTRIES = 4096
_PATH = "\0path\0"  # where the file's path stood in a remembered message

_verdicts: OrderedDict[tuple[str, str, str], list[Finding]] = OrderedDict()
_lock = threading.Lock()


def _key(path: Path, project: str, sha256: str | None) -> tuple[str, str, str] | None:
    if sha256 is not None:
        return project, path.name, sha256
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        return project, path.name, hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def remembered(path: Path, name: str, project: str, certify: Callable[[], list[Finding]],
               sha256: str | None = None) -> list[Finding]:
    """`certify()`'s findings for this file, or those of an earlier run on the same bytes
    under the same name, re-addressed to `name` and `path`. `sha256`: the file's digest when
    the caller has it (else the file is read and hashed here)."""
    key = _key(path, project, sha256)
    if key is not None:
        with _lock:
            found = _verdicts.get(key)
            if found is not None:
                _verdicts.move_to_end(key)
        if found is not None:
            return [replace(f, file=name, message=f.message.replace(_PATH, str(path)))
                    for f in found]
    findings = certify()
    if key is not None:
        kept = [replace(f, file="", message=f.message.replace(str(path), _PATH))
                for f in findings]
        with _lock:
            _verdicts[key] = kept
            while len(_verdicts) > MAX_ENTRIES:
                _verdicts.popitem(last=False)
    return findings
