"""Helpers every command shares: output formats and turning paths into manifests.

Every module of this package is imported to register its command, even for `--help`: each
imports its heavy dependencies (the library modules that bring astropy, requests, Werkzeug,
rich) inside the functions that need them, so start-up stays at the cost of typer.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from crds_deliver.credentials import in_ci
from crds_deliver.errors import UsageError
from crds_deliver.projects import DEFAULT_TIMEOUT


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


class TextOrJson(str, Enum):
    """The formats of commands that write no Markdown: --help lists only what they write."""

    text = "text"
    json = "json"


# Parameters that several commands declare alike (typer reads them as call defaults). Each
# that takes a value names it (PATH, FILE, SECONDS): help shows that word (cli/help.py).
TIMEOUT_OPTION = typer.Option(DEFAULT_TIMEOUT, "--timeout", min=0.1, metavar="SECONDS",
                              help="Seconds to wait for the server.")
TEXT_OR_JSON_OPTION = typer.Option(TextOrJson.text, "--format", "-f", help="text or json.")
MANIFESTS_ARGUMENT = typer.Argument(..., metavar="PATH",
                                    help="Manifests, or folders searched for *.yaml.")
TOKEN_FILE_OPTION = typer.Option(None, "--token-file", metavar="FILE",
                                 help="File holding the MAST token.")
USERNAME_OPTION = typer.Option(None, "--username", metavar="NAME", help="CRDS user name.")
VERBOSE_OPTION = typer.Option(False, "--verbose", "-v", help="Show every web request.")
QUIET_OPTION = typer.Option(False, "--quiet", "-q",
                            help="Print only errors, warnings and each manifest's outcome: no "
                                 "steps, server messages or progress.")


def manifest_paths(paths: list[Path]) -> list[Path]:
    """The manifests named by PATH arguments; a missing path is a usage error (exit 2)."""
    from crds_deliver.manifest import find_manifests

    try:
        found = find_manifests(paths)
    except FileNotFoundError as exc:
        raise UsageError(f"no such file or folder: {exc}") from None
    if not found:
        raise UsageError("no manifests (*.yaml, *.yml) found in " +
                         ", ".join(str(p) for p in paths))
    return found


def can_ask() -> bool:
    """Whether a person can answer a question: stdin and stdout are a terminal, outside CI."""
    return sys.stdin.isatty() and sys.stdout.isatty() and not in_ci()


def refuse_quiet_and_verbose(quiet: bool, verbose: bool) -> None:
    """-q and -v ask for less and more at once: a usage error (exit 2), not a silent pick."""
    if quiet and verbose:
        raise UsageError("--quiet and --verbose contradict each other: give one of them")


def exit_code(failures: list[int]) -> int:
    """The exit status of a command that handled several manifests: 0 when none failed, the
    failures' own code when they agree (3 locked, 4 server, 5 needs a person: CI can react),
    else 1."""
    if not failures:
        return 0
    return failures[0] if len(set(failures)) == 1 else 1
