"""Located problems: the one shape every check reports in, so the CLI can render them uniformly.

A Problem names the file, and where it can the line and column (1-based, as editors count),
the dotted field path inside the manifest, a plain-words message and a severity. Problems are
values, not exceptions: a check collects all of them so a user fixes a file in one pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a problem is; only errors make a command fail."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    """One located finding about a manifest or a delivered file."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    def location(self) -> str:
        """`file:line:col` as compilers print it, omitting the parts that are unknown."""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def has_errors(problems: list[Problem]) -> bool:
    """True when any problem is an error (warnings and infos never fail a command)."""
    return any(p.severity is Severity.ERROR for p in problems)
