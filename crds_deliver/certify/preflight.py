"""One file's preflight: structure, checksums, identity, keywords, deep rules.

Split in two halves around the streaming read that digests the file: `Preflight(path)` reads
only the headers' layout and offers `consumers` for that read (checksum sums); `finish()`
does the rest. `certify_file` runs both halves with a read of its own, for callers that do
not hash the file (the sandbox server).
"""

from __future__ import annotations

from pathlib import Path

from crds_deliver.certify import keywords
from crds_deliver.certify.asdffile import asdf_available, read_asdf
from crds_deliver.certify.checksums import FitsSums
from crds_deliver.certify.deep import hst_deep_findings
from crds_deliver.certify.findings import CertifyResult, Finding, error, info, warning
from crds_deliver.certify.identify import Identity, identify_header
from crds_deliver.certify.layout import LayoutError, read_layout
from crds_deliver.certify.matching import rmap_case
from crds_deliver.certify.structure import Header, check_structure
from crds_deliver.files import Consumer, stream

FITS_MAGIC = b"SIMPLE  ="
ASDF_MAGIC = b"#ASDF"
_KEYWORD_RULES = {"hst": keywords.hst_keywords, "jwst": keywords.jwst_keywords,
                  "roman": keywords.roman_keywords}


def sniff(path: Path) -> str:
    """'fits', 'asdf' or 'other', from the first bytes (the extension can lie)."""
    with path.open("rb") as handle:
        head = handle.read(9)
    if head.startswith(FITS_MAGIC):
        return "fits"
    if head.startswith(ASDF_MAGIC):
        return "asdf"
    return "other"


class Preflight:
    """Certification of one file, in two halves around the digest read."""

    def __init__(self, path: Path, project: str, name: str | None = None) -> None:
        self.path = path
        self.project = project
        self.name = name or str(path)
        self.findings: list[Finding] = []
        self.sums: FitsSums | None = None
        try:
            self.kind = sniff(path)
        except OSError as exc:
            self.kind = "unreadable"
            self.findings.append(error(self.name, f"cannot read: {exc.strerror or exc}"))
            return
        if self.kind == "fits":
            try:
                self.sums = FitsSums(read_layout(path))
            except LayoutError as exc:
                self.findings.append(error(self.name, str(exc)))
            except OSError as exc:
                self.findings.append(error(self.name, f"cannot read: {exc.strerror or exc}"))

    @property
    def consumers(self) -> list[Consumer]:
        return [self.sums.update] if self.sums else []

    def finish(self) -> CertifyResult:
        """Everything after the read: the file's identity and all findings."""
        header, findings = self._header()
        self.findings += findings
        identity = identify_header(self.path.name, header, self.project, self.name)
        self.findings += identity.findings
        if header is not None:
            self.findings += _KEYWORD_RULES[self.project](self.name, header, identity.reftype)
        self.findings += self._deep(header, identity)
        case = rmap_case(header, self.project, identity.instrument, identity.reftype)
        return CertifyResult(identity.instrument, identity.reftype, self.findings, case)

    def _header(self) -> tuple[Header | None, list[Finding]]:
        lower = self.path.name.lower()
        if self.kind == "unreadable":
            return None, []
        if self.kind == "fits":
            if self.sums is None:  # layout failed (truncated, no END): already reported
                return None, []
            header, findings = check_structure(self.path, self.name)
            findings += [error(self.name, message, hdu=hdu, keyword=keyword)
                         for hdu, keyword, message in self.sums.mismatches()]
            return header, findings
        if self.kind == "asdf":
            if not asdf_available():
                return None, [warning(self.name, "ASDF metadata not checked: this needs the "
                                                 "asdf extra (pip install 'crds-deliver[asdf]')")]
            return read_asdf(self.path, self.name)
        if lower.endswith((".fits", ".fit")):
            return None, [error(self.name, "not a FITS file: it does not start with 'SIMPLE  ='")]
        if lower.endswith(".asdf"):
            return None, [error(self.name, "not an ASDF file: it does not start with '#ASDF'")]
        return None, [warning(self.name, "preflight does not check this kind of file (only its "
                                         "name); the server certifies it")]

    def _deep(self, header: Header | None, identity: Identity) -> list[Finding]:
        structural_errors = any(f.severity.value == "error" and f.keyword is None
                                for f in self.findings)
        if self.project != "hst" or self.kind != "fits" or header is None:
            return []
        if structural_errors or identity.reftype is None:
            return [info(self.name, "deep rule checks not run: fix the errors above first")]
        return hst_deep_findings(self.path, self.name)


def certify_file(path: Path, project: str) -> CertifyResult:
    """Certify one reference file for `project` (hst, jwst, roman) without a manifest."""
    preflight = Preflight(path, project)
    if preflight.consumers:
        try:
            stream(path, preflight.consumers)
        except OSError as exc:
            preflight.findings.append(error(preflight.name, f"cannot read: {exc}"))
    return preflight.finish()


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
