"""Each command lists only the output formats it writes, and refuses the others as usage
errors (exit 2) before doing any work."""

from __future__ import annotations

import pytest

TEXT_OR_JSON = [["validate"], ["status"], ["form"], ["schema", "check"]]
WITH_MARKDOWN = [["plan"], ["history"]]


@pytest.mark.parametrize("command", TEXT_OR_JSON + WITH_MARKDOWN, ids=" ".join)
def test_help_lists_the_formats_the_command_writes(cli, command: list[str]) -> None:
    shown = cli(*command, "--help").stdout
    formats = "text|json|markdown" if command in WITH_MARKDOWN else "text|json"
    assert f"--format [{formats}]" in shown.replace("<", "[").replace(">", "]"), shown


@pytest.mark.parametrize("command", TEXT_OR_JSON, ids=" ".join)
def test_markdown_is_a_usage_error_where_it_is_not_written(cli, command: list[str]) -> None:
    result = cli(*command, "--format", "markdown")
    assert result.exit_code == 2
    assert "'markdown' is not one of 'text', 'json'" in result.stderr
