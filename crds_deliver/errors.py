"""Typed errors raised below the CLI; the CLI turns each into a message and an exit code.

Every error message must be safe to print: no token, no password, no session cookie.
"""

from __future__ import annotations


class CrdsDeliverError(Exception):
    """Base of every error this package raises on purpose (the CLI prints it, no traceback)."""

    exit_code = 1


class UsageError(CrdsDeliverError):
    """The command line itself is wrong (exit 2, like argparse and typer)."""

    exit_code = 2


class ConfigurationError(CrdsDeliverError):
    """Settings are missing or contradictory: no token, unknown server, unreadable ini file."""


class ManifestError(CrdsDeliverError):
    """A manifest cannot be used; carries the located problems that say why."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
