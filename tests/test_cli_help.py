"""Every `--help` page names what each value is (`--token-file FILE`, `apply [OPTIONS] PATH...`),
never typer's placeholders (`{paths}...`, `<list[Path]>`, `<str>`, `<path>`).

Each page is printed by the real command line in its own process (forked warm:
tests/fixtures/cli_process.py); the commands and options to look for come from the application
itself, so a new command or option is checked too.
"""

from __future__ import annotations

import re

import pytest
import typer

from crds_deliver.cli import app
from tests.fixtures.cli_process import run_command
from tests.gitops.reference import walk_commands

PLACEHOLDERS = ("<list[", "<str>", "<bool>", "<path>", "<int>", "<float", "{")
GROUPS = [[], ["schema"]]
COMMANDS = [words for words, _ in walk_commands()]
USAGE = re.compile(r"^Usage: crds-deliver(?: [a-z]+)*(?: \[OPTIONS\])?"
                   r"(?: (?:[A-Z]+|\[[A-Z]+\])(?:\.\.\.)?)*(?: COMMAND \[ARGS\]\.\.\.)?$")


def help_page(words: list[str]) -> str:
    done = run_command([*words, "--help"], timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def click_command(words: list[str]) -> typer.core.TyperCommand:
    command = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]
    return command


@pytest.mark.parametrize("words", GROUPS + COMMANDS, ids=lambda w: " ".join(w) or "root")
def test_help_names_every_value(words: list[str]) -> None:
    page = help_page(words)
    assert [p for p in PLACEHOLDERS if p in page] == [], page
    assert USAGE.match(page.splitlines()[0]), page.splitlines()[0]
    for param in click_command(words).params:
        if param.param_type_name != "option" or param.is_flag:
            continue
        if getattr(param.type, "choices", None):  # shown as its choices: <text|json>
            continue
        assert param.metavar and re.fullmatch(r"[A-Z]+", param.metavar), param.opts
        assert f"{max(param.opts, key=len)} {param.metavar}" in page, (param.opts, page)


def test_arguments_are_listed_by_their_name_in_capitals() -> None:
    page = help_page(["apply"])
    assert page.startswith("Usage: crds-deliver apply [OPTIONS] PATH...\n")
    assert re.search(r"^Arguments:\n  PATH\.\.\.  Manifests, or folders", page, re.MULTILINE)
    history = help_page(["history"])
    assert history.startswith("Usage: crds-deliver history [OPTIONS] [PATH]...\n")
