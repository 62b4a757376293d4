"""`crds-deliver form` (every field of the submission form, explained) and `crds-deliver schema
check` (does the bundled schema still match a server's live form?)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from crds_deliver.cli.app import app
from crds_deliver.cli.common import TEXT_OR_JSON_OPTION, TIMEOUT_OPTION, TextOrJson
from crds_deliver.cli.help import ReadableTyper
from crds_deliver.formspec import CHOICE, YES_NO_NA, FormField
from crds_deliver.scaffold import REPO_SCHEMA, export_schema

if TYPE_CHECKING:
    from crds_deliver.formhelp import FormHelp

schema_app = ReadableTyper(help="The manifest schema: compare it with a server's live form, or "
                              "export it for editors.", no_args_is_help=True,
                         rich_markup_mode=None)
app.add_typer(schema_app, name="schema")

PROJECT_HELP = "hst, jwst or roman (default: CRDS_OBSERVATORY, else jwst)."
SERVER_HELP = ("A use-case (ops, test, dev, bit, cit, int, tvac) or a URL (default: "
               "CRDS_SERVER_URL, else the project's OPS server).")


def _field_lines(spec: FormField) -> list[str]:
    from crds_deliver.formhelp import TYPE_WORDS

    kind = TYPE_WORDS.get(spec.type, spec.type)
    head = f"{spec.key}  ({'required' if spec.required else 'optional'}, {kind})"
    lines = [head]
    if spec.label:
        lines.append(f"    {spec.label}")
    if spec.choices and spec.type == CHOICE:
        choices = ", ".join(str(c) for c in spec.choices)
        if set(spec.choices) == set(YES_NO_NA):
            choices += " (true/false are read as Yes/No)"
        lines.append(f"    choices: {choices}")
    if spec.initial is not None:
        lines.append(f"    default: {json.dumps(spec.initial)}")
    if spec.help_text:
        lines.append(f"    help: {spec.help_text}")
    return lines


def _as_json(result: FormHelp) -> str:
    return json.dumps({"project": result.project, "live": result.live, "url": result.url,
                       "source": result.source,
                       "fields": [f.description_entry() for f in result.fields]}, indent=2)


@app.command()
def form(
    project: str | None = typer.Option(None, "--project", "-p", metavar="PROJECT",
                                       help=PROJECT_HELP),
    server: str | None = typer.Option(None, "--server", "-s", metavar="SERVER",
                                      help=SERVER_HELP),
    offline: bool = typer.Option(False, "--offline",
                                 help="Do not ask a server: show the bundled form."),
    timeout: float = TIMEOUT_OPTION,
    output: TextOrJson = TEXT_OR_JSON_OPTION,
) -> None:
    """Show every field of the submission form: label, type, required, choices, help.

    From the server's live form description when it answers, else from the bundled knowledge;
    the first line says which.
    """
    from crds_deliver.formhelp import form_help
    from crds_deliver.status import resolve_project, resolve_server_setting

    project_setting = resolve_project(project, None, os.environ)
    url = None
    if not offline:
        url = resolve_server_setting(project_setting.value, server, None, os.environ).value
    result = form_help(project_setting.value, url, timeout)
    if output is TextOrJson.json:
        if not result.live and not offline:  # the JSON says so too; a person reads stderr
            typer.echo(f"warning: {result.reason}; showing the bundled form", err=True)
        typer.echo(_as_json(result))
        return
    typer.echo(f"Submission form for {result.project}: {result.source}")
    for spec in result.fields:
        typer.echo("")
        for line in _field_lines(spec):
            typer.echo(line)


@schema_app.command("check")
def schema_check(
    server: str = typer.Option(..., "--server", "-s", metavar="SERVER",
                               help="A use-case (ops, test, dev, bit, cit, int, tvac) or the "
                                    "server's URL."),
    project: str | None = typer.Option(None, "--project", "-p", metavar="PROJECT",
                                       help=PROJECT_HELP),
    timeout: float = TIMEOUT_OPTION,
    output: TextOrJson = TEXT_OR_JSON_OPTION,
) -> None:
    """Compare a server's live form description with the bundled schema.

    Exit 0 when they are in step, 1 on any drift or an unreadable description, 4 when the
    server does not answer.
    """
    from crds_deliver.formhelp import FormUnavailable, fetch_description, schema_drift
    from crds_deliver.status import resolve_project, resolve_server_setting

    project_setting = resolve_project(project, None, os.environ)
    url = resolve_server_setting(project_setting.value, server, None, os.environ).value
    try:
        entries = fetch_description(url, timeout)
    except FormUnavailable as exc:
        raise type(exc)(f"cannot compare: {exc}") from None
    drifts = schema_drift(project_setting.value, entries)
    if output is TextOrJson.json:
        typer.echo(json.dumps({"project": project_setting.value, "server": url,
                               "in_step": not drifts,
                               "drift": [d.__dict__ for d in drifts]}, indent=2))
    else:
        for drift in drifts:
            typer.echo(f"drift: {drift.message}")
        if drifts:
            typer.echo(f"{len(drifts)} difference(s) between the live form of {url} and the "
                       "bundled schema: update crds-deliver, or report the change")
        else:
            typer.echo(f"the bundled schema is in step with the live form of {url}")
    raise typer.Exit(1 if drifts else 0)


@schema_app.command("export")
def schema_export(
    path: Path = typer.Argument(REPO_SCHEMA, metavar="PATH", help="Where to write the schema."),
) -> None:
    """Write the bundled manifest schema into the repository (default schemas/...).

    Manifests made by `crds-deliver new` afterwards point their editor schema line at it.
    Replaces an older export.
    """
    export_schema(path)
    typer.echo(f"wrote {path}")
