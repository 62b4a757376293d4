"""The `crds-deliver` command line: parses arguments, calls the library, renders results.

Each command lives in a module of its own under this package and registers itself on `app`;
nothing below the CLI prints.
"""

from __future__ import annotations

from crds_deliver.cli import (
    apply,  # noqa: F401
    confirm,  # noqa: F401
    forget,  # noqa: F401
    form,  # noqa: F401
    history,  # noqa: F401
    new,  # noqa: F401
    plan,  # noqa: F401
    sandbox,  # noqa: F401
    show,  # noqa: F401
    stamp,  # noqa: F401
    status,  # noqa: F401
    validate,  # noqa: F401  (registers the command)
)
from crds_deliver.cli.app import app, main

__all__ = ["app", "main"]
