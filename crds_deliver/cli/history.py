"""`crds-deliver history`: every delivery of a repository, read from its result records."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from crds_deliver.cli.app import app
from crds_deliver.cli.common import OutputFormat


@app.command()
def history(
    paths: list[Path] = typer.Argument(None, metavar="PATH",
                                       help="Folders or manifests (default: .)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f",
                                        help="text, json or markdown."),
) -> None:
    """List all deliveries (date, manifest, files, official names, state, context).

    A record that is not a valid result record (edited by hand, or not a regular file) is
    listed by its own path with the state `unreadable`; `status` on its manifest says why.
    """
    from crds_deliver.api.history import COLUMNS
    from crds_deliver.api.history import history as recorded

    try:
        rows = recorded(paths or [Path(".")])
    except FileNotFoundError as missing:
        raise typer.BadParameter(f"no such file or folder: {missing}", param_hint="PATH") \
            from None
    if output is OutputFormat.json:
        typer.echo(json.dumps([row.to_dict() for row in rows], indent=2))
        return
    table = [[row.cell(c) for c in COLUMNS] for row in rows]
    if output is OutputFormat.markdown:
        typer.echo("| " + " | ".join(COLUMNS) + " |")
        typer.echo("|" + "---|" * len(COLUMNS))
        for line in table:
            typer.echo("| " + " | ".join(c.replace("|", "\\|") for c in line) + " |")
        return
    if not rows:
        typer.echo("no deliveries recorded")
        return
    widths = [max(len(c), *(len(line[i]) for line in table)) for i, c in enumerate(COLUMNS)]
    typer.echo("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip())
    for line in table:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
