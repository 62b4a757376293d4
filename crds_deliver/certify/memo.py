"""Preflight verdicts on files' bytes, kept for the life of the process.

`apply --sandbox` certifies every file twice in one process: `plan` in the client, then the
sandbox as the server does, on a copy of the same bytes. A verdict (identity, findings, rmap
case, keywords) depends only on the bytes, the file's name (crds and the HST checks read the
instrument and type from names) and the project, so the second run takes the first one's:
crds's certifier (about 40 ms for a 1 MB HST file) and the astropy header checks run once.
Both callers hash the file while reading it anyway, so the sha256 they pass names the bytes
at no cost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from crds_deliver.certify.findings import CertifyResult

MAX_ENTRIES = 4096
_PATH = "\0path\0"  # where the file's path stood in a remembered message

_verdicts: OrderedDict[tuple[str, str, str], CertifyResult] = OrderedDict()
_lock = threading.Lock()


def _key(path: Path, project: str, sha256: str) -> tuple[str, str, str]:
    return project, path.name, sha256


def recalled(path: Path, name: str, project: str, sha256: str) -> CertifyResult | None:
    """The result of an earlier run on the same bytes (by `sha256`) under the same file name,
    re-addressed to `name` and `path`; None when there was none."""
    key = _key(path, project, sha256)
    with _lock:
        found = _verdicts.get(key)
        if found is not None:
            _verdicts.move_to_end(key)
    return None if found is None else _addressed(found, name, str(path))


def remembered(path: Path, name: str, project: str, sha256: str,
               certify: Callable[[], CertifyResult]) -> CertifyResult:
    """`certify()`'s result for this file, or the recalled one (see `recalled`)."""
    found = recalled(path, name, project, sha256)
    if found is not None:
        return found
    result = certify()
    kept = replace(result, findings=[replace(f, file="", message=f.message.replace(str(path),
                                                                                   _PATH))
                                     for f in result.findings])
    with _lock:
        _verdicts[_key(path, project, sha256)] = kept
        while len(_verdicts) > MAX_ENTRIES:
            _verdicts.popitem(last=False)
    return result


def _addressed(result: CertifyResult, name: str, path: str) -> CertifyResult:
    """A copy of a remembered result for the file at `path`, reported as `name`."""
    return replace(result,
                   findings=[replace(f, file=name, message=f.message.replace(_PATH, path))
                             for f in result.findings],
                   keywords=dict(result.keywords) if result.keywords is not None else None)
