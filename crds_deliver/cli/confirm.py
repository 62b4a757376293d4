"""`crds-deliver confirm` and `cancel`: finish READY deliveries on the server."""

from __future__ import annotations

import getpass
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from crds_deliver.cli.app import app
from crds_deliver.cli.apply import (
    commit_outcome,
    delivery_targets,
    echo_outcome,
    echo_warning,
    make_callbacks,
)
from crds_deliver.cli.common import (
    QUIET_OPTION,
    TOKEN_FILE_OPTION,
    USERNAME_OPTION,
    VERBOSE_OPTION,
    can_ask,
    exit_code,
    refuse_quiet_and_verbose,
)
from crds_deliver.connections import SandboxPool
from crds_deliver.errors import CrdsDeliverError

if TYPE_CHECKING:
    from crds_deliver.apply import Callbacks, Outcome


def _finish_all(button: str, paths: list[Path], sandbox_data: Path | None, commit: bool,
                token_file: Path | None, username: str | None, verbose: bool,
                quiet: bool) -> None:
    from crds_deliver.record import Record, State

    refuse_quiet_and_verbose(quiet, verbose)
    found = delivery_targets(paths, commit)
    interactive = can_ask()
    failures: list[int] = []  # the exit code each failed manifest calls for
    skipped = 0
    with ExitStack() as stack:
        pool = SandboxPool(sandbox_data) if sandbox_data is not None else None
        if pool is not None:
            stack.callback(pool.stop)
        for path in found:
            try:
                record = Record.load(path)
                not_ready = record is None or record.state is not State.READY
                if not_ready and len(found) > 1:  # folders: only READY deliveries concern us
                    skipped += 1
                    continue
                outcome = _finish_one(button, path, pool, token_file, username, interactive,
                                      make_callbacks(verbose, interactive, quiet))
            except CrdsDeliverError as exc:
                typer.echo(f"{path}: error: {exc}", err=True)
                failures.append(exc.exit_code)
                continue
            echo_outcome(outcome)
            if commit:
                commit_outcome(outcome, quiet)
    if found and skipped == len(found):
        typer.echo(f"nothing to {button}: none of the {len(found)} manifests has a READY "
                   "delivery", err=True)
    raise typer.Exit(exit_code(failures))


def _finish_one(button: str, path: Path, pool: SandboxPool | None,
                token_file: Path | None, username: str | None, interactive: bool,
                callbacks: Callbacks) -> Outcome:
    from crds_deliver.api import Delivery

    delivery = Delivery.load(path)
    finish = delivery.confirm if button == "confirm" else delivery.cancel
    outcome = finish(sandbox=pool, token_file=token_file, username=username,
                     prompt=getpass.getpass if interactive else None,
                     callbacks=callbacks, on_warning=echo_warning)
    return outcome.engine_outcome


_PATHS = typer.Argument(..., metavar="PATH",
                        help="Manifests (or folders) whose READY deliveries to finish.")
_DATA = typer.Option(None, "--sandbox-data", metavar="DIR",
                     help="The sandbox folder `apply --sandbox --sandbox-data DIR` used; a "
                          "sandbox is started on it here.")
_COMMIT = typer.Option(False, "--commit", help="git-commit each changed record.")


@app.command()
def confirm(paths: list[Path] = _PATHS, sandbox_data: Path | None = _DATA,
            commit: bool = _COMMIT, token_file: Path | None = TOKEN_FILE_OPTION,
            username: str | None = USERNAME_OPTION, verbose: bool = VERBOSE_OPTION,
            quiet: bool = QUIET_OPTION) -> None:
    """Confirm READY deliveries: the server makes the new files and rules official."""
    _finish_all("confirm", paths, sandbox_data, commit, token_file, username, verbose, quiet)


@app.command()
def cancel(paths: list[Path] = _PATHS, sandbox_data: Path | None = _DATA,
           commit: bool = _COMMIT, token_file: Path | None = TOKEN_FILE_OPTION,
           username: str | None = USERNAME_OPTION, verbose: bool = VERBOSE_OPTION,
           quiet: bool = QUIET_OPTION) -> None:
    """Cancel READY deliveries: the server drops the submitted files."""
    _finish_all("cancel", paths, sandbox_data, commit, token_file, username, verbose, quiet)
