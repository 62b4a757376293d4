"""`crds-deliver stamp`: give downloaded references new bytes for a re-delivery rehearsal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from crds_deliver.cli.app import app


@app.command()
def stamp(
    files: list[Path] = typer.Argument(..., metavar="FILE",
                                       help="FITS reference files to stamp in place."),
) -> None:
    """Write a CRDSUNIQ timestamp into each file (checksums updated), as the CRDS notebook's
    crds_unique does, so the server does not refuse it as identical to a file it holds."""
    from crds_deliver.rules.stamp import KEYWORD, stamp_files

    for done in stamp_files(files, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)):
        typer.echo(f"{done.path}: {KEYWORD} = {done.value}")
