"""`crds-deliver status`: the settings in effect, where each came from, and the server's answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from crds_deliver.cli.app import app
from crds_deliver.cli.common import TEXT_OR_JSON_OPTION, TIMEOUT_OPTION, TextOrJson

if TYPE_CHECKING:
    from crds_deliver.status import Status


def _text(status: Status) -> list[str]:
    lines = [
        f"crds-deliver {status.version}",
        f"project:  {status.project.value}  ({status.project.source})",
        f"server:   {status.server.value}  ({status.server.source})",
        f"token:    {status.token_source}",
        f"user:     {status.user.value}  ({status.user.source})",
    ]
    check = status.check
    if check is None:
        lines.append("server answers: not checked (--no-check)")
    elif check.reachable:
        version = f" (CRDS {check.crds_version})" if check.crds_version else ""
        lines.append(f"server answers: yes{version}")
        lines += [f"  {key.replace('_', ' ')}: {value}" for key, value in check.contexts.items()]
    else:
        lines.append(f"server answers: no ({check.error})")
    lines.append(f"python:   {status.python}")
    lines.append("packages: " + ", ".join(
        f"{name} {version or 'not installed'}" for name, version in status.packages.items()))
    lines += [f"warning: {w}" for w in status.warnings]
    return lines


@app.command()
def status(
    manifest: Path | None = typer.Argument(
        None, metavar="MANIFEST", help="A manifest whose project and server to use (optional)."),
    project: str | None = typer.Option(
        None, "--project", "-p", metavar="PROJECT",
        help="hst, jwst or roman (default: the manifest's, "
                                      "CRDS_OBSERVATORY, else jwst)."),
    server: str | None = typer.Option(
        None, "--server", "-s", metavar="SERVER",
        help="A use-case (ops, test, dev, bit, cit, int, tvac) or a URL; wins over "
             "CRDS_SERVER_URL and the manifest."),
    check: bool = typer.Option(True, "--check/--no-check",
                               help="Ask the server for get_server_info."),
    timeout: float = TIMEOUT_OPTION,
    output: TextOrJson = TEXT_OR_JSON_OPTION,
) -> None:
    """Show the settings in effect, where each came from, and whether the server answers.

    Tool version, project, server URL, token source (never the token), user name, the server's
    contexts, Python and package versions. Exit 4 when the server does not answer.
    """
    from crds_deliver.crds.errors import ServerUnreachable
    from crds_deliver.status import collect_status

    result = collect_status(project=project, server=server, manifest_path=manifest,
                            check=check, timeout=timeout)
    if output is TextOrJson.json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        for line in _text(result):
            typer.echo(line)
    unreachable = result.check is not None and not result.check.reachable
    raise typer.Exit(ServerUnreachable.exit_code if unreachable else 0)
