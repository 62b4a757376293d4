"""`crds-deliver validate`: is each manifest a complete, valid CRDS submission form?"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import typer

from crds_deliver import ci
from crds_deliver.cli.app import app
from crds_deliver.cli.common import MANIFESTS_ARGUMENT, TextOrJson, manifest_paths
from crds_deliver.problems import has_errors
from crds_deliver.report import problem_line, problems_json, summary_line


@app.command()
def validate(
    paths: list[Path] = MANIFESTS_ARGUMENT,
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f",
                                        help="text (path:line:col: message) or json."),
    codequality: Path | None = typer.Option(
        None, "--codequality", metavar="FILE", help=ci.CODEQUALITY_HELP),
) -> None:
    """Check manifests against the submission-form schema, offline. Exit 1 on any problem."""
    from crds_deliver.api import Delivery

    results = {str(p): Delivery.load(p).validate() for p in manifest_paths(paths)}
    invalid = sum(1 for probs in results.values() if has_errors(probs))
    total = sum(len(probs) for probs in results.values())
    if output is TextOrJson.json:
        typer.echo(problems_json(results))
    else:
        for probs in results.values():
            for problem in probs:
                typer.echo(problem_line(problem))
        typer.echo(summary_line(len(results), invalid, total))
    # Annotations go to stderr when stdout carries JSON (GitHub reads workflow commands on both).
    ci.publish("validate", [p for probs in results.values() for p in probs],
               partial(typer.echo, err=output is not TextOrJson.text),
               summary=ci.problems_markdown("crds-deliver validate", results),
               codequality=codequality)
    raise typer.Exit(1 if invalid else 0)
