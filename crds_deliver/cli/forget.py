"""`crds-deliver forget`: drop a result record that can no longer be finished (its throw-away
sandbox is gone, the server lost the submission, the record was damaged), after saying what
that means on the server: nothing is sent there."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from crds_deliver.cli.app import app
from crds_deliver.cli.common import can_ask, manifest_paths
from crds_deliver.errors import UsageError
from crds_deliver.lock import DeliveryLock


@app.command(name="forget")
def forget_command(
    paths: list[Path] = typer.Argument(..., metavar="PATH",
                                       help="Manifests whose result records to drop."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before deleting."),
) -> None:
    """Drop result records (nothing is sent to the server); say first what that means."""
    from crds_deliver.record import forget, forget_consequences, record_path

    found = [p for p in manifest_paths(paths) if os.path.lexists(record_path(p))]
    if not found:
        typer.echo("no result records: nothing to forget")
        return
    if not yes and not can_ask():
        raise UsageError("forget deletes result records: give --yes (no terminal to ask on)")
    for path in found:
        typer.echo(forget_consequences(path))
        if not yes and not typer.confirm(f"forget {record_path(path).name}?"):
            typer.echo(f"{path}: kept")
            continue
        with DeliveryLock(path):
            forget(path)
        typer.echo(f"{path}: forgot {record_path(path).name}")
