"""The typer application, the global options, and the one place errors become exit codes."""

from __future__ import annotations

import sys

import typer

from crds_deliver import __version__
from crds_deliver.cli.help import ReadableTyper
from crds_deliver.errors import CrdsDeliverError

app = ReadableTyper(
    name="crds-deliver",
    help="Deliver calibration reference files to CRDS from reviewed YAML manifests.",
    no_args_is_help=True,
    # `crds-deliver --install-completion` sets up tab completion in bash, zsh, fish, PowerShell.
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich's renderer costs more start-up time than `--help` itself.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crds-deliver {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Deliver calibration reference files to CRDS from reviewed YAML manifests."""


def main() -> None:
    """Console-script entry point. Typer handles usage errors (exit 2); our typed errors become
    a one-line message and their exit code, never a traceback (an unexpected exception still
    shows one: that is a bug to report)."""
    try:
        app()
    except CrdsDeliverError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
