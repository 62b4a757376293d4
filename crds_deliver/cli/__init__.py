"""The `crds-deliver` command line: parses arguments, calls the library, renders results.

Each command lives in a module of its own under this package and registers itself on `app`;
nothing below the CLI prints.
"""

from __future__ import annotations

from crds_deliver.cli.app import app, main
from crds_deliver.cli import validate  # noqa: F401  (registers the command)

__all__ = ["app", "main"]
