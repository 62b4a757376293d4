"""docs/reference.md covers the real command line: every command, option, environment variable
the code reads, and typed error exit code (regenerate with `python -m tests.gitops.reference >
docs/reference.md`)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from crds_deliver.cli import app
from crds_deliver.cli.help import argument_word
from tests.gitops.reference import ENVIRONMENT, error_classes, render, walk_commands

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs/reference.md"
ENV_READ = re.compile(r"""(?:environ|env)(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]+)["']""")
ENV_CONSTANT = re.compile(r"""^[A-Z_]+_ENV\s*=\s*["']([A-Z][A-Z0-9_]+)["']""", re.MULTILINE)


def _sections() -> dict[str, str]:
    """The reference's command sections, keyed by their title (`crds-deliver plan`)."""
    text = REFERENCE.read_text()
    parts = re.split(r"^### `([^`]+)`$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_command_and_option_is_in_the_reference() -> None:
    sections = _sections()
    commands = list(walk_commands())
    assert len(commands) >= 11
    for words, command in commands:
        title = " ".join(["crds-deliver", *words])
        assert title in sections, f"{title} is missing from docs/reference.md"
        for param in command.params:
            if not param.opts[0].startswith("-"):  # an argument, by its name in the help
                assert f"`{argument_word(param)}`" in sections[title], \
                    f"{title}: {param.name} is not documented"
            for name in param.opts + param.secondary_opts:
                if name.startswith("-"):
                    assert f"`{name}`" in sections[title], f"{title}: {name} is not documented"
    for param in typer.main.get_command(app).params:
        assert f"`{param.opts[0]}`" in REFERENCE.read_text()


def test_the_reference_documents_no_command_that_is_gone() -> None:
    titles = {" ".join(["crds-deliver", *words]) for words, _ in walk_commands()}
    assert set(_sections()) <= titles


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    read: set[str] = set()
    for path in (ROOT / "crds_deliver").rglob("*.py"):
        if "sandbox" in path.parts:  # the server's WSGI environ (PATH_INFO), not settings
            continue
        text = path.read_text()
        read |= set(ENV_READ.findall(text)) | set(ENV_CONSTANT.findall(text))
    assert {"MAST_API_TOKEN", "CRDS_SERVER_URL", "GITHUB_ACTIONS"} <= read
    assert read <= set(ENVIRONMENT), f"undocumented: {sorted(read - set(ENVIRONMENT))}"
    text = REFERENCE.read_text()
    for name in ENVIRONMENT:
        assert f"| `{name}` |" in text


def test_every_exit_code_is_documented() -> None:
    """Each exit code a typed error gives has a row (the class list beside it is informative:
    regenerate to refresh it)."""
    text = REFERENCE.read_text()
    for code in {cls.exit_code for cls in error_classes()}:
        assert re.search(rf"^\| {code} \| `", text, flags=re.MULTILINE), f"exit code {code}"


def test_the_reference_is_what_its_generator_writes() -> None:
    """The file is the generator's output as it stands: a changed option, help text or error
    docstring regenerates it, and the generator itself runs with the installed typer."""
    assert render() == REFERENCE.read_text(), (
        "docs/reference.md is stale: python -m tests.gitops.reference > docs/reference.md")
