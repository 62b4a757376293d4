"""`crds-deliver plan`: what apply would do with each manifest, checked offline."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from crds_deliver import ci
from crds_deliver.cli.app import app
from crds_deliver.cli.common import MANIFESTS_ARGUMENT, OutputFormat, manifest_paths
from crds_deliver.cli.progress import progress_lines
from crds_deliver.errors import ManifestError, UsageError
from crds_deliver.report import plans_brief, plans_json, plans_markdown, plans_text

if TYPE_CHECKING:
    from crds_deliver.plan import ManifestPlan, RulesSource


def _plan_with_progress(path: Path, rules: RulesSource, quiet: bool) -> ManifestPlan:
    """Rich progress bars on stderr while hashing for a person at a terminal; progress lines
    (crds_deliver/cli/progress.py) for a log; neither with --quiet."""
    from crds_deliver.api import Delivery

    delivery = Delivery.load(path)
    if quiet:
        return delivery.plan(rules=rules).manifest_plan
    if not sys.stderr.isatty():  # a log: a line per tenth of a large file
        return delivery.plan(progress_lines(
            "hashing", lambda line: typer.echo(line, err=True)), rules=rules).manifest_plan
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    tasks: dict[str, int] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=Console(stderr=True), transient=True) as bars:
        def on_progress(name: str, done: int, total: int) -> None:
            if total < 64 * 1024 * 1024:  # small files finish before a bar is worth drawing
                return
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=total)
            bars.update(tasks[name], completed=done)

        return delivery.plan(on_progress, rules=rules).manifest_plan


@app.command()
def plan(
    paths: list[Path] = MANIFESTS_ARGUMENT,
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f",
                                        help="text (people), json (machines), markdown (PRs)."),
    pin: bool = typer.Option(False, "--pin", help="Write the files and their sha256 into each "
                                                  "manifest's pinned: list."),
    codequality: Path | None = typer.Option(None, metavar="FILE", help=ci.CODEQUALITY_HELP),
    crds_path: Path | None = typer.Option(
        None, "--crds-path", metavar="DIR",
        help="CRDS cache holding the derive-from context's rules (default: CRDS_PATH); each "
             "file's rmap, match, USEAFTER and replaced reference are predicted from it."),
    sync: bool = typer.Option(False, "--sync", help="First fetch the context's rules from the "
                                                    "manifest's server into that cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="No progress; with text, a line per manifest and its "
                                    "errors instead of the full plan."),
) -> None:
    """Resolve files, digest and certify them offline, and say what apply would do.

    Exit 1 when any manifest has errors (apply would refuse it).
    """
    from crds_deliver.plan import RulesSource, pin_manifest

    cache = crds_path or (Path(os.environ["CRDS_PATH"]) if os.environ.get("CRDS_PATH")
                          else None)
    if sync and cache is None:
        raise UsageError("--sync needs a cache folder to fill: --crds-path DIR or CRDS_PATH")
    rules = RulesSource(cache, dict(os.environ) if sync else None)
    plans = []
    for path in manifest_paths(paths):
        planned = _plan_with_progress(path, rules, quiet)
        if pin and planned.files:
            try:
                planned = pin_manifest(planned)
            except ManifestError as exc:
                typer.echo(f"error: {exc}", err=True)
        plans.append(planned)
    if output is OutputFormat.json:
        typer.echo(plans_json(plans))
    elif output is OutputFormat.markdown:
        typer.echo(plans_markdown(plans), nl=False)
    else:
        typer.echo((plans_brief if quiet else plans_text)(plans), nl=False)
    ci.publish_plans(plans, lambda line: typer.echo(line, err=output is not OutputFormat.text),
                     codequality)
    raise typer.Exit(1 if any(p.has_errors for p in plans) else 0)
