"""`crds-deliver show`: the results page of a delivery, printed (and opened on request)."""

from __future__ import annotations

from pathlib import Path

import typer

from crds_deliver.cli.app import app
from crds_deliver.errors import CrdsDeliverError, UsageError


@app.command()
def show(
    path: Path = typer.Argument(..., metavar="PATH",
                                help="A manifest, or its .result.yaml record."),
    open_page: bool = typer.Option(False, "--open",
                                   help="Also open the page in the web browser."),
) -> None:
    """Print the URL of a delivery's results page (the server's certify and submission
    report, where READY deliveries are reviewed), from its result record."""
    from crds_deliver.manifest import RESULT_SUFFIXES
    from crds_deliver.record import load_record, record_path

    if not path.exists():
        raise UsageError(f"no such file: {path}")
    suffix = next((s for s in RESULT_SUFFIXES if path.name.endswith(s)), None)
    # a record names its manifest by stem: `darks.result.yaml` belongs to `darks.yaml`
    manifest = path.with_name(path.name[: -len(suffix)] + ".yaml") if suffix else path
    data = load_record(manifest)
    if data is None:
        raise CrdsDeliverError(f"{manifest}: never applied (no {record_path(manifest).name})")
    submission = data.get("submission")
    url = submission.get("results_url") if isinstance(submission, dict) else None
    if not url:
        raise CrdsDeliverError(f"{record_path(manifest)}: no results page yet (state "
                               f"{data.get('state')}); `crds-deliver apply {manifest}` "
                               "follows the delivery up")
    typer.echo(url)
    if open_page:
        import webbrowser

        if not webbrowser.open(url):
            typer.echo("no web browser could be started here: open the URL above", err=True)
