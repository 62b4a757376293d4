"""`crds-deliver sandbox`: run the local CRDS-compatible server in the foreground.

This is the one place a token is printed, on purpose: the user who starts the server needs it
to point a client at it (MAST_API_TOKEN). It is generated, and printed, only when --token is
not given; a token given with --token is not echoed.
"""

from __future__ import annotations

from pathlib import Path

import typer

from crds_deliver.cli.app import app
from crds_deliver.errors import UsageError
from crds_deliver.projects import PROJECTS


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS",
                             help="Address to bind (default: local only)."),
    port: int = typer.Option(8000, "--port", metavar="PORT",
                             help="Port to listen on (0 = any free port)."),
    data: Path = typer.Option(Path(".crds-sandbox"), "--data", metavar="DIR",
                              help="Folder holding the server's files and catalog."),
    project: str = typer.Option("jwst", "--project", metavar="PROJECT", help="hst, jwst or roman."),
    user: str = typer.Option("sandbox", "--user", metavar="NAME",
                             help="The account that may log in."),
    token: str = typer.Option(None, "--token", metavar="TOKEN",
                              help="Its token (generated when omitted)."),
    from_cache: Path | None = typer.Option(
        None, "--from-cache", metavar="DIR",
        help="Start a new sandbox at a context of this CRDS cache (CRDS_PATH layout): its "
             "rules, serials, names and whatever references it holds."),
    context: str | None = typer.Option(
        None, "--context", metavar="CONTEXT",
        help="With --from-cache: the context to start at (a .pmap, or <obs>-edit / "
             "-operational; default <obs>-edit)."),
) -> None:
    """Run a local CRDS-compatible server (the submission protocol, for rehearsals and tests)."""
    if project not in PROJECTS:
        raise UsageError(f"--project must be one of {', '.join(PROJECTS)}, not '{project}'")
    try:
        from crds_deliver.sandbox import Sandbox
    except ImportError as exc:
        raise UsageError("the sandbox needs Werkzeug: pip install 'crds-deliver[sandbox]'"
                         f" ({exc})") from None
    if context and from_cache is None:
        raise UsageError("--context needs --from-cache DIR")
    server = Sandbox(data, project=project, username=user, token=token, from_cache=from_cache,
                     context=context)
    try:
        server.start(host, port, log_requests=True)
    except Exception:
        server.stop()  # closes the catalog; the error (a SandboxError) is reported by main
        raise
    typer.echo(f"CRDS sandbox for {project} at {server.url}  (data in {data})")
    typer.echo(f"  CRDS_SERVER_URL={server.url}")
    typer.echo(f"  CRDS_OBSERVATORY={project}")
    typer.echo(f"  CRDS_USERNAME={server.username}")
    # A generated token must be shown (nobody else knows it); one given with --token is the
    # caller's secret and is never echoed (terminal scroll-back, CI logs).
    shown = "<the --token value>" if token else server.token
    typer.echo(f"  MAST_API_TOKEN={shown}")
    typer.echo("Press Ctrl-C to stop.")
    try:
        server.wait()
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        server.stop()
