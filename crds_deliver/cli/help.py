"""Help pages that read like the README: `apply [OPTIONS] PATH...`, `--token-file FILE`.

typer's plain help writes a required argument as `{paths}...` in the usage line and adds a type
word beside it in the Arguments list (`paths... <list[Path]>`), whatever metavar it is given;
options show their metavar instead of the type word, so every option that takes a value
declares one where it is defined. `ReadableCommand` (a command class, typer's own way to
customise how a command is rendered) writes arguments as click does: the metavar (else the
name in capitals), `...` when it repeats, brackets when it is optional. Only the rendering
changes; parsing, defaults and the help texts are typer's. `ReadableTyper` makes it the class
of every command of an application, so a new command cannot forget it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperArgument, TyperCommand

if TYPE_CHECKING:  # typer's bundled click: only its types are named here
    from typer import Context
    from typer._click import HelpFormatter


def argument_word(param: TyperArgument, *, usage: bool = False) -> str:
    """How an argument is named in help: `PATH...` for a repeatable `metavar="PATH"`, and on
    the usage line `[PATH]...` when it may be left out."""
    word = param.metavar or (param.name or "").upper()
    if usage and not param.required:
        word = f"[{word}]"
    return f"{word}..." if param.nargs != 1 else word


class ReadableCommand(TyperCommand):
    """A typer command whose usage line and Arguments list name arguments by their metavar."""

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                pieces.append(argument_word(param, usage=True))
        return pieces

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((argument_word(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class ReadableTyper(typer.Typer):
    """A typer application whose commands are `ReadableCommand`s unless one says otherwise."""

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None,
                **settings: Any) -> Any:
        return super().command(name, cls=cls or ReadableCommand, **settings)
