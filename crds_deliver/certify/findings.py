"""Findings of the preflight certification: one located statement about one file.

A finding names the file and, where it has them, the HDU and the keyword, so a submitter can
go straight to the card to fix. Findings are values: checks collect them all in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crds_deliver.problems import Severity


@dataclass(frozen=True)
class Finding:
    """One certification result about a file (an error fails the delivery)."""

    severity: Severity
    file: str
    message: str
    hdu: int | str | None = None
    keyword: str | None = None

    def location(self) -> str:
        """`file[hdu] KEYWORD`: where to look, as much as is known."""
        text = self.file
        if self.hdu is not None:
            text += f"[{self.hdu}]"
        if self.keyword:
            text += f" {self.keyword}"
        return text

    def to_dict(self) -> dict:
        return {"severity": self.severity.value, "file": self.file, "hdu": self.hdu,
                "keyword": self.keyword, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """The finding `to_dict` gave (deep-check workers send theirs as JSON)."""
        return cls(Severity(data["severity"]), data["file"], data["message"], data["hdu"],
                   data["keyword"])


@dataclass
class CertifyResult:
    """What preflight learned about one file: its identity and every finding."""

    instrument: str | None
    reftype: str | None
    findings: list[Finding] = field(default_factory=list)
    # The rmap case (match keyword values + USEAFTER), for the in-delivery duplicate check.
    case: tuple[tuple[str, str], ...] | None = None
    # A FITS file's keywords over all HDUs (first value wins, as CRDS reads them), handed to
    # the rules (rules/predict.py) so that placing the file does not open it once more.
    keywords: dict[str, object] | None = None

    @property
    def ok(self) -> bool:
        """True when no finding is an error (warnings and infos never block a delivery)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)


def error(file: str, message: str, hdu: int | str | None = None,
          keyword: str | None = None) -> Finding:
    return Finding(Severity.ERROR, file, message, hdu, keyword)


def warning(file: str, message: str, hdu: int | str | None = None,
            keyword: str | None = None) -> Finding:
    return Finding(Severity.WARNING, file, message, hdu, keyword)


def info(file: str, message: str, hdu: int | str | None = None,
         keyword: str | None = None) -> Finding:
    return Finding(Severity.INFO, file, message, hdu, keyword)
