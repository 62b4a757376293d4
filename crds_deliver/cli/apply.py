"""`crds-deliver apply`: plan each manifest, then deliver it and write its result record."""

from __future__ import annotations

import getpass
import os
import shlex
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from crds_deliver.cli.app import app
from crds_deliver.cli.common import (
    MANIFESTS_ARGUMENT,
    QUIET_OPTION,
    TOKEN_FILE_OPTION,
    USERNAME_OPTION,
    VERBOSE_OPTION,
    can_ask,
    exit_code,
    manifest_paths,
    refuse_quiet_and_verbose,
)
from crds_deliver.cli.progress import progress_lines
from crds_deliver.connections import SandboxPool
from crds_deliver.decision import read_decision
from crds_deliver.errors import CrdsDeliverError, UsageError
from crds_deliver.gitops import commit_file, record_commit_message, repository_of
from crds_deliver.report import problem_line

if TYPE_CHECKING:
    from crds_deliver.apply import Callbacks, Outcome
    from crds_deliver.crds import Message, RequestEvent


def delivery_targets(paths: list[Path], commit: bool) -> list[Path]:
    """The manifests a delivery command works on.

    With --commit every manifest must be inside a git repository: checked before any server
    is contacted, so a misplaced manifest stops the run before anything is delivered."""
    found = manifest_paths(paths)
    if commit:
        for path in found:
            repository_of(path)
    return found


def make_callbacks(verbose: bool, interactive: bool, quiet: bool = False) -> Callbacks:
    """Steps as plain lines, server messages prefixed `>> `, -v request lines, and a progress
    bar for uploads when on a terminal, all on stderr: stdout carries only each manifest's
    outcome and the commands that finish it, for scripts to read. Nothing of these with
    --quiet (the outcome lines and errors are printed by the commands themselves)."""
    from crds_deliver.apply import Callbacks

    if quiet:
        return Callbacks()

    def message(item: Message) -> None:
        for line in (item.text or item.type).splitlines() or [""]:
            _to_stderr(f">> {line}")

    def request(event: RequestEvent) -> None:
        status = event.status if event.status is not None else event.error
        retry = f" (attempt {event.attempt})" if event.attempt > 1 else ""
        _to_stderr(f"   {event.method} {event.path} {status} {event.seconds:.3f}s{retry}")

    return Callbacks(step=lambda text: _to_stderr(f"-- {text}"), message=message,
                     upload=_upload_reporter(_progress_bar() if interactive else
                                             progress_lines("uploading", _to_stderr)),
                     request=request if verbose else None)


def _to_stderr(line: str) -> None:
    typer.echo(line, err=True)


def _upload_reporter(bar: Callable[[str, int, int], None] | None
                     ) -> Callable[[str, int, int], None]:
    """One line per uploaded file with its throughput (a retry from byte 0 restarts the
    clock), forwarding progress to the terminal's bar when there is one."""
    started: dict[str, float] = {}

    def update(name: str, sent: int, total: int) -> None:
        if bar is not None:
            bar(name, sent, total)
        if sent == 0:
            started[name] = time.perf_counter()
        if sent >= total and name in started:
            seconds = max(time.perf_counter() - started.pop(name), 1e-9)
            _to_stderr(f"-- uploaded {name}: {total} bytes in {seconds:.2f} s "
                       f"({total / seconds / 1e6:.1f} MB/s)")

    return update


def _progress_bar() -> Callable[[str, int, int], None]:
    """An upload progress callback drawing a rich bar per file (terminal only)."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    bars: dict[str, Any] = {}

    def update(name: str, sent: int, total: int) -> None:
        if name not in bars:
            progress = Progress("[progress.description]{task.description}", BarColumn(),
                                DownloadColumn(), TransferSpeedColumn(), transient=True,
                                console=Console(stderr=True))
            progress.start()
            bars[name] = (progress, progress.add_task(f"upload {name}", total=total or 1))
        progress, task = bars[name]
        progress.update(task, completed=sent)
        if sent >= total:
            progress.stop()

    return update


def echo_outcome(outcome: Outcome, sandbox_data: Path | None = None,
                 throwaway_sandbox: bool = False) -> None:
    """The outcome line, and for a READY delivery the commands that finish it, as they work
    when pasted (a sandbox delivery is finished on the same sandbox folder)."""
    from crds_deliver.record import State

    path = outcome.manifest_path
    typer.echo(f"{path}: {outcome.summary}")
    if outcome.state is not State.READY:
        return
    if throwaway_sandbox:
        typer.echo(f"{path}: this sandbox's state is deleted when apply ends; to confirm or "
                   "cancel a sandbox delivery, apply with --sandbox-data DIR")
        return
    where = f"--sandbox-data {shlex.quote(str(sandbox_data))} " if sandbox_data else ""
    quoted = shlex.quote(str(path))
    typer.echo(f"{path}: review the results page, then run `crds-deliver confirm {where}"
               f"{quoted}` or `crds-deliver cancel {where}{quoted}`")


def commit_outcome(outcome: Outcome, quiet: bool = False) -> None:
    """git-commit the record `outcome` changed, and say so unless --quiet."""
    record = outcome.record
    repo = repository_of(record.path)
    message = record_commit_message(outcome.manifest_path, record.state.value,
                                    record.results_id, repo)
    commit = commit_file(record.path, message)
    if commit and not quiet:
        typer.echo(f"{outcome.manifest_path}: committed {record.path.name} as {commit[:12]}")


@app.command()
def apply(
    paths: list[Path] = MANIFESTS_ARGUMENT,
    sandbox: bool = typer.Option(False, "--sandbox",
                                 help="Deliver to the built-in sandbox server, started here."),
    sandbox_data: Path | None = typer.Option(
        None, "--sandbox-data", metavar="DIR",
        help="Keep the sandbox's state in DIR (default: a temp folder) so `crds-deliver "
             "sandbox --data DIR` can serve it later."),
    yes: bool = typer.Option(False, "--yes", "-y",
                             help="Deliver without asking; required where no terminal can "
                                  "answer (CI, scripts, pipes): apply refuses there without it."),
    commit: bool = typer.Option(False, "--commit", help="git-commit each changed record."),
    token_file: Path | None = TOKEN_FILE_OPTION,
    username: str | None = USERNAME_OPTION,
    wait: bool = typer.Option(False, "--wait", help="Wait for another apply of the same "
                                                    "manifest instead of failing."),
    pending: bool = typer.Option(
        False, "--pending", help="Act on decision files too: confirm (or cancel) a READY "
                                 "delivery whose <manifest>.confirm (or .cancel) is there; "
                                 "leave the other READY ones waiting, without contacting the "
                                 "server. What CI runs on the default branch."),
    verbose: bool = VERBOSE_OPTION,
    quiet: bool = QUIET_OPTION,
) -> None:
    """Deliver manifests: plan, certify, submit, follow progress, write result records."""
    from crds_deliver.ci import append_step_summary, outcomes_markdown
    from crds_deliver.record import State, record_path

    if sandbox_data is not None and not sandbox:
        raise typer.BadParameter("--sandbox-data needs --sandbox", param_hint="--sandbox-data")
    refuse_quiet_and_verbose(quiet, verbose)
    interactive = can_ask()
    if not yes and not interactive:  # as `terraform apply` wants -auto-approve
        raise UsageError("apply asks before delivering and there is no terminal to ask on: "
                         "give --yes to deliver without asking (as CI does)")
    found = delivery_targets(paths, commit)
    failures: list[int] = []  # the exit code each failed manifest calls for
    rows: list[tuple[str, str, str]] = []  # the step summary: manifest, state, what happened
    with ExitStack() as stack:
        pool = SandboxPool(sandbox_data or Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="crds-deliver-sandbox-")))) if sandbox else None
        if pool is not None:
            stack.callback(pool.stop)
        stack.callback(lambda: append_step_summary(outcomes_markdown("apply", rows)))
        throwaway = pool is not None and sandbox_data is None
        for path in found:
            if throwaway:
                stack.callback(_drop_rehearsal_record, path, os.path.lexists(record_path(path)))
            try:
                outcome = _apply_one(path, pool, yes, interactive, token_file, username, wait,
                                     verbose, pending, quiet)
            except KeyboardInterrupt:
                typer.echo(interrupted_line(path), err=True)
                raise typer.Exit(130) from None
            except CrdsDeliverError as exc:
                typer.echo(f"{path}: error: {exc}", err=True)
                failures.append(exc.exit_code)
                rows.append((str(path), "error", str(exc)))
                continue
            if outcome is None:
                failures.append(1)
                rows.append((str(path), "refused", "see the job log"))
                continue
            rows.append((str(path), outcome.state.value if outcome.state else "-",
                         outcome.summary))
            echo_outcome(outcome, sandbox_data, throwaway_sandbox=sandbox and not sandbox_data)
            if outcome.changed and outcome.state in (State.BAD_FILES, State.FAILED):
                failures.append(1)
            if commit and outcome.changed and outcome.record is not None and not throwaway:
                commit_outcome(outcome, quiet)
    raise typer.Exit(exit_code(failures))


def _drop_rehearsal_record(path: Path, existed: bool) -> None:
    """A throw-away sandbox is gone when the run ends: a record of it could never be finished
    (confirm and cancel need that server) and would stand in the way of the real delivery.
    So a record this run wrote for it is deleted, and the run says so."""
    from crds_deliver.record import forget, record_path

    if existed or not os.path.lexists(record_path(path)):
        return
    forget(path)
    typer.echo(f"{path}: a rehearsal on a throw-away sandbox: its record was not kept (give "
               "--sandbox-data DIR to keep the sandbox and the record)")


def interrupted_line(path: Path) -> str:
    """The one line Ctrl-C leaves: where the delivery stands and how to go on."""
    from crds_deliver.record import read_state

    try:
        state = read_state(path)
    except CrdsDeliverError:
        state = None
    if state is None:
        return f"{path}: interrupted before anything was submitted; nothing to resume"
    return (f"{path}: interrupted; the record says {state.value}: run `crds-deliver apply "
            f"{path}` again to resume (it never posts the form twice)")


def _apply_one(path: Path, pool: SandboxPool | None, yes: bool, interactive: bool,
               token_file: Path | None, username: str | None, wait: bool,
               verbose: bool, pending: bool, quiet: bool) -> Outcome | None:
    from crds_deliver.api import Delivery, DeliveryError, DeliveryRefused
    from crds_deliver.apply import Outcome
    from crds_deliver.plan import ready_reason
    from crds_deliver.record import Record, State

    talk = dict(token_file=token_file, username=username,
                prompt=getpass.getpass if interactive else None,
                callbacks=make_callbacks(verbose, interactive, quiet), on_warning=echo_warning)
    try:
        delivery = Delivery.load(path)
        # --pending: a decision file finishes a READY delivery, even one this run makes READY
        # (a manifest merged together with its decision); without one, READY waits untouched.
        decision = read_decision(path) if pending else None
        record = Record.load(path) if pending else None
        waiting = record is not None and record.state is State.READY
        if waiting and decision is None:
            return Outcome(path, State.READY, None, False, ready_reason(path))
        outcome = None if waiting else delivery.apply(
            sandbox=pool, yes=yes, ask=typer.confirm, wait=wait,
            **talk).engine_outcome
        if decision is not None and (outcome is None or outcome.state is State.READY):
            finish = delivery.confirm if decision == "confirm" else delivery.cancel
            outcome = finish(sandbox=pool, **talk).engine_outcome
        return outcome
    except DeliveryRefused as refused:
        for line in refused.plan.error_lines():
            typer.echo(line, err=True)
        typer.echo(f"{path}: refused: {refused.plan.reason}", err=True)
    except DeliveryError as invalid:
        for problem in invalid.problems:
            typer.echo(problem_line(problem), err=True)
        typer.echo(f"{path}: refused: {invalid.what}", err=True)
    return None


def echo_warning(text: str) -> None:
    """A doubt about the user's settings (a readable ini file), on stderr."""
    typer.echo(f"warning: {text}", err=True)
