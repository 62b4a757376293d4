"""`crds-deliver new`: start a manifest with every form field, asking for the required ones on a
terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from crds_deliver.cli.app import app
from crds_deliver.errors import ConfigurationError, UsageError
from crds_deliver.formspec import BOOLEAN, CHOICE, DESCRIPTION_RE, FormField, all_fields
from crds_deliver.manifest import load_manifest
from crds_deliver.projects import USE_CASES
from crds_deliver.report import problem_line
from crds_deliver.scaffold import (
    ManifestExists,
    NewManifest,
    pick_project,
    render,
    repo_schema,
    schema_reference,
    target_path,
    write_new,
)


def _ask_field(spec: FormField) -> object:
    """One required field from the terminal; Enter leaves text empty (validate will point at
    it), a choice must be one of its choices."""
    if spec.type == CHOICE:
        choices = [str(c) for c in spec.choices]
        while True:
            answer = typer.prompt(f"{spec.label} ({', '.join(choices)})",
                                  default=str(spec.initial or choices[0]))
            match = [c for c in choices if c.lower() == answer.strip().lower()]
            if match:
                return match[0]
            typer.echo(f"  expected one of {', '.join(choices)}")
    while True:
        answer = typer.prompt(f"{spec.label} (Enter to fill in later)", default="",
                              show_default=False).strip()
        if spec.key != "description" or not answer or DESCRIPTION_RE.match(answer):
            return answer
        typer.echo("  only letters, digits, spaces and . _ / , = - + please")


def _interview(project: str, files: list[str]) -> tuple[list[str], dict[str, object]]:
    if not files:
        answer = typer.prompt("Files to deliver (globs from the current folder, "
                              "comma-separated; Enter to fill in later)", default="",
                              show_default=False)
        files = [g.strip() for g in answer.split(",") if g.strip()]
    values = {spec.key: _ask_field(spec) for spec in all_fields(project)
              if spec.required and spec.key != "instrument" and spec.type != BOOLEAN}
    return files, values


@app.command()
def new(
    path: Path | None = typer.Argument(
        None, metavar="PATH", help="The manifest to write, or a folder for it (default: "
                   "manifests/<project>/<instrument>/<date>-<instrument>-delivery.yaml)."),
    instrument: str = typer.Option(..., "--instrument", "-i", metavar="INSTRUMENT",
                                  help="The files' instrument."),
    project: str | None = typer.Option(
        None, "--project", "-p", metavar="PROJECT",
        help="hst, jwst or roman (default: the instrument's)."),
    files: list[str] = typer.Option(
        [], "--files", metavar="GLOB",
        help="A glob of files to deliver, from the current folder as the shell completes it "
             "(repeatable); written relative to the manifest's folder."),
    server: str = typer.Option("test", "--server", "-s", metavar="SERVER",
                               help="The manifest's server: a use-case or a URL."),
    interactive: bool | None = typer.Option(
        None, "--interactive/--no-interactive",
        help="Ask for the required fields (default: when on a terminal)."),
) -> None:
    """Write a new manifest with every form field, ready to fill in.

    Defaults filled, required fields marked, a schema line for editors; asks for the required
    fields on a terminal. Never overwrites a file (exit 1).
    """
    from crds_deliver.api.values import outside_root, relocate  # the API: for `new` alone
    from crds_deliver.crds.server import normalise_url

    project, instrument = pick_project(project, instrument)
    if server.startswith(("http://", "https://")):
        try:
            normalise_url(server)
        except ConfigurationError as exc:
            raise UsageError(f"--server: {exc}") from None
    elif server not in USE_CASES[project]:
        raise UsageError(f"--server {server}: expected one of {', '.join(USE_CASES[project])} "
                         "or an https URL")
    target = target_path(path, project, instrument)
    if target.exists():  # say so before asking questions whose answers would be lost
        raise ManifestExists(f"{target} already exists; not overwriting it")
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    values: dict[str, object] = {}
    if interactive:
        files, values = _interview(project, list(files))
    # As typed (relative to here, as the shell completes them), the globs are written as the
    # manifest reads them: relative to its own folder.
    globs = tuple(relocate(typed, Path.cwd(), target.parent) for typed in files)
    spec = NewManifest(project, instrument, server, globs, values,
                       outside_root(globs, target.parent) if globs else None)
    write_new(target, render(spec, schema_reference(target)))
    typer.echo(f"wrote {target}")
    _note_what_plan_will_find(target, spec)
    todo = load_manifest(target).problems
    if todo:
        typer.echo("still to fill in before it validates:")
        for problem in todo:
            typer.echo(f"  {problem_line(problem)}")
    else:
        typer.echo(f"it validates; next: crds-deliver plan {target}")
    if repo_schema(target) is None:
        typer.echo("tip: the schema line points into this installation of crds-deliver; run "
                   "`crds-deliver schema export` at the repository's root so that new manifests "
                   "point at schemas/delivery.schema.json, which everyone who clones it has")


def _note_what_plan_will_find(target: Path, spec: NewManifest) -> None:
    """The globs' problems as plan will report them (a glob matching no file, or only
    folders; a file outside the repository; two files of one name), as notes: the manifest
    is written anyway, and the files may come later."""
    from crds_deliver.files import resolve_globs

    resolution = resolve_globs(str(target), target.parent, spec.files, lambda _index: (None, None),
                               spec.files_root)
    for problem in resolution.problems:
        typer.echo(f"note: {problem.message}")
    if resolution.problems:
        typer.echo("note: --files is read from the current folder and written relative to "
                   "the manifest's")
