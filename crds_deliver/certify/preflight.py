"""One file's preflight: structure, checksums, identity, keywords, deep rules.

Split in two halves around the streaming read that digests the file: `Preflight(path)` reads
only the headers' layout and offers `consumers` for that read (checksum sums); `finish()`
does the rest. `certify_file` runs both halves with a read of its own, for callers that do
not hash the file (the Python API, the tests).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from crds_deliver.certify import keywords
from crds_deliver.certify.asdffile import asdf_available, read_asdf
from crds_deliver.certify.checksums import FitsSums
from crds_deliver.certify.deep import DeepCheck, deep_findings
from crds_deliver.certify.extras import deep_checks_available
from crds_deliver.certify.findings import CertifyResult, Finding, error, info, warning
from crds_deliver.certify.identify import Identity, identify_header
from crds_deliver.certify.layout import LayoutError, layout_of
from crds_deliver.certify.matching import rmap_case
from crds_deliver.certify.memo import remembered
from crds_deliver.certify.structure import Header, check_structure
from crds_deliver.files import Consumer, Digest, digest_bytes, digest_file, read_if_small
from crds_deliver.problems import Severity

FITS_MAGIC = b"SIMPLE  ="
ASDF_MAGIC = b"#ASDF"
CRDS_ACCEPTS = " (crds certify, which the server runs, does not reject this)"
_KEYWORD_RULES = {"hst": keywords.hst_keywords, "jwst": keywords.jwst_keywords,
                  "roman": keywords.roman_keywords}


def sniff(path: Path) -> str:
    """'fits', 'asdf' or 'other', from the first bytes (the extension can lie)."""
    with path.open("rb") as handle:
        return _kind(handle)


def _kind(handle: BinaryIO) -> str:
    head = handle.read(len(FITS_MAGIC))
    if head.startswith(FITS_MAGIC):
        return "fits"
    if head.startswith(ASDF_MAGIC):
        return "asdf"
    return "other"


class Preflight:
    """Certification of one file, in two halves around the digest read."""

    def __init__(self, path: Path, project: str, name: str | None = None,
                 deep: DeepCheck = deep_findings, data: bytes | None = None) -> None:
        """`data`: the file's bytes when the caller read it whole (a small file: one read
        for this, the digests and the sums); else the layout is read from the file."""
        self.path = path
        self.project = project
        self.name = name or str(path)
        self.deep = deep  # crds's certifier, here or in a worker process (deep_pool.py)
        self.findings: list[Finding] = []
        self.sums: FitsSums | None = None
        self.kind = "unreadable"
        try:
            # The kind and a FITS file's layout from one open, or from the caller's bytes.
            with path.open("rb") if data is None else io.BytesIO(data) as handle:
                self.kind = _kind(handle)
                if self.kind == "fits":
                    self.sums = FitsSums(layout_of(handle))
        except LayoutError as exc:
            self.findings.append(error(self.name, str(exc)))
        except OSError as exc:
            self.findings.append(error(self.name, f"cannot read: {exc.strerror or exc}"))

    def moved_to(self, path: Path) -> None:
        """The file's bytes now live at `path`: the sandbox moves submitted files out of the
        ingest area between the two halves, as the server does."""
        self.path = path

    @property
    def consumers(self) -> list[Consumer]:
        return [self.sums.update] if self.sums else []

    def finish(self, sha256: str | None = None) -> CertifyResult:
        """Everything after the read: the file's identity and all findings. With `sha256`,
        the digest the read computed, a verdict already reached in this process on the same
        bytes under the same name is taken instead (memo.py)."""
        if sha256 is None:
            return self._finish()
        return remembered(self.path, self.name, self.project, sha256, self._finish)

    def _finish(self) -> CertifyResult:
        header, findings = self._header()
        self.findings += findings
        identity = identify_header(self.path.name, header, self.project, self.name)
        self.findings += identity.findings
        deep = self._deep(header, identity)
        if header is not None:
            own = _KEYWORD_RULES[self.project](self.name, header, identity.reftype)
            self.findings += _not_covered(own, deep)
        self.findings += _located(deep, header)
        case = rmap_case(header, self.project, identity.instrument, identity.reftype)
        keywords = header.keywords() if self.kind == "fits" and header is not None else None
        return CertifyResult(identity.instrument, identity.reftype, self.findings, case,
                             keywords)

    def _header(self) -> tuple[Header | None, list[Finding]]:
        lower = self.path.name.lower()
        if self.kind == "unreadable":
            return None, []
        if self.kind == "fits":
            if self.sums is None:  # layout failed (truncated, no END): already reported
                return None, []
            header, findings = check_structure(self.path, self.name, self.sums.layout)
            findings += [error(self.name, message, hdu=hdu, keyword=keyword)
                         for hdu, keyword, message in self.sums.mismatches()]
            return header, findings
        if self.kind == "asdf":
            if not asdf_available():
                return None, [warning(self.name, "ASDF metadata not checked: this needs the "
                                                 "roman extra (pip install 'crds-deliver[roman]')")]
            return read_asdf(self.path, self.name)
        if lower.endswith((".fits", ".fit")):
            return None, [error(self.name, "not a FITS file: it does not start with 'SIMPLE  ='")]
        if lower.endswith(".asdf"):
            return None, [error(self.name, "not an ASDF file: it does not start with '#ASDF'")]
        return None, [warning(self.name, "preflight does not check this kind of file (only its "
                                         "name); the server certifies it")]

    def _deep(self, header: Header | None, identity: Identity) -> list[Finding] | None:
        """crds's own certifier's findings; None when it did not run (see extras.py)."""
        if self.kind not in ("fits", "asdf") or header is None:
            return None
        if not deep_checks_available(self.project):
            return None
        structural_errors = any(f.severity.value == "error" and f.keyword is None
                                for f in self.findings)
        if structural_errors or identity.reftype is None:
            self.findings.append(info(self.name, "deep rule checks not run: fix the errors "
                                                 "above first"))
            return None
        return self.deep(self.path, self.name, self.project, header.plain)


def _not_covered(own: list[Finding], deep: list[Finding] | None) -> list[Finding]:
    """Our keyword findings once crds's certifier ran (severity parity: its verdict is the
    server's). Where crds judged a keyword, its finding stands alone. When crds accepts the
    file, what only our rules flag stays as warnings, so the plan says what it saw without
    refusing what CRDS accepts; when crds rejects the file, our errors stand too."""
    if deep is None:
        return own
    judged = {f.keyword for f in deep if f.keyword}
    crds_rejects = any(f.severity is Severity.ERROR for f in deep)
    kept = []
    for finding in own:
        short = finding.keyword.rsplit(".", 1)[-1] if finding.keyword else None
        if finding.keyword in judged or short in judged:
            continue
        if finding.severity is Severity.ERROR and not crds_rejects:
            finding = replace(finding, severity=Severity.WARNING,
                              message=finding.message + CRDS_ACCEPTS)
        kept.append(finding)
    return kept


def _located(deep: list[Finding] | None, header: Header | None) -> list[Finding]:
    """crds's findings with the HDU of their keyword, when the header has it."""
    if not deep or header is None:
        return deep or []
    return [replace(f, hdu=header.hdu_of(f.keyword)) if f.keyword and f.hdu is None else f
            for f in deep]


def read_and_check(path: Path, project: str, name: str | None = None,
                   deep: DeepCheck = deep_findings,
                   on_progress: Callable[[int, int], None] | None = None,
                   mapped: bool = False) -> tuple[Preflight, Digest]:
    """The first half of a file's certification, and its digests, from one read where it can
    be: a file of up to one chunk is read whole, and its kind, layout, sums and digests all
    come from those bytes (opening and reading cost more than checking a small file's
    header); a larger one is streamed (mapped, when `mapped` says it is on a local disk:
    files.stream). `on_progress(done, total)` follows the bytes read. Raises OSError when the
    file cannot be read."""
    total, data = read_if_small(path)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if on_progress:
            on_progress(done, total)

    preflight = Preflight(path, project, name=name, deep=deep, data=data)
    if data is not None:
        return preflight, digest_bytes(data, preflight.consumers, advance)
    return preflight, digest_file(path, preflight.consumers, advance, mapped=mapped)


def certify_file(path: Path, project: str) -> CertifyResult:
    """Certify one reference file for `project` (hst, jwst, roman) without a manifest. The
    one read feeds the FITS sums and a sha256, which names the bytes for the verdict memo."""
    try:
        preflight, digest = read_and_check(path, project)
    except OSError as exc:
        preflight = Preflight(path, project)  # says why, when the file cannot be opened
        if preflight.kind != "unreadable":
            preflight.findings.append(error(preflight.name, f"cannot read: {exc}"))
        return preflight.finish()
    return concluded(preflight, digest)


def concluded(preflight: Preflight, digest: Digest) -> CertifyResult:
    """The second half after `read_and_check`: a verdict this process reached on the same
    bytes under the same name is taken (memo.py), unless the file could not be opened."""
    if preflight.kind == "unreadable":
        return preflight.finish()
    return preflight.finish(digest.sha256)


def identify(path: Path, project: str) -> tuple[str | None, str | None]:
    """(instrument, reference type) in lower case, e.g. ("miri", "dark"); None when unknown."""
    kind = sniff(path) if path.is_file() else "other"
    header: Header | None = None
    if kind == "fits":
        header, _ = check_structure(path, path.name)
    elif kind == "asdf" and asdf_available():
        header, _ = read_asdf(path, path.name)
    identity = identify_header(path.name, header, project)
    return identity.instrument, identity.reftype
