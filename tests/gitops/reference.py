"""Generate docs/reference.md from the real command line, so the reference cannot drift from it.

    python -m tests.gitops.reference > docs/reference.md

Commands, arguments and options come from the typer application itself; exit codes from the
typed errors (every subclass of CrdsDeliverError and its exit_code); environment variables
from the table below, which test_reference.py checks against the names the code reads.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from enum import Enum

import typer

import crds_deliver
from crds_deliver.cli import app
from crds_deliver.cli.help import argument_word
from crds_deliver.errors import CrdsDeliverError

ENVIRONMENT: dict[str, str] = {
    "MAST_API_TOKEN": "The MAST token used to log in (apply, confirm, cancel); never printed. "
                      "`--token-file` wins over it; the ini file's `[authentication] "
                      "MAST_API_TOKEN` comes after it.",
    "CRDS_USERNAME": "The CRDS user name; else the ini file, else the login name.",
    "CRDS_INI_FILE": "The crds configuration file (default `~/.crds.ini`); ignored unless only "
                     "its owner may read it (`chmod 600`).",
    "CRDS_SERVER_URL": "Overrides the server a manifest names (as the crds package does); "
                       "`status` shows when it is in effect.",
    "CRDS_OBSERVATORY": "The project `status` and `form` assume when neither `--project` nor "
                        "a manifest gives one.",
    "CRDS_PATH": "The CRDS cache `plan` reads the derive-from context's rules from "
                 "(`--crds-path DIR` wins), as `crds sync` fills it.",
    "CRDS_DELIVER_FILES_ROOT": "A folder outside the repository that manifest globs may "
                               "resolve into (shared storage); also `options.files_root`.",
    "CRDS_DELIVER_LOCK_DIR": "Where the per-user lock lives (one file per CRDS user and "
                             "server; default `~/.cache/crds-deliver/locks`): runs delivering "
                             "as one user on this machine take turns, whatever the checkout.",
    "CRDS_DELIVER_QUIET_SECONDS": "How long apply follows a silent progress channel, and "
                                  "waits for a first sign of a post a dead run may have made "
                                  "(default 60).",
    "CRDS_DELIVER_CODEQUALITY": "Where `validate` and `plan` write a GitLab Code Quality "
                                "report (like `--codequality FILE`).",
    "HTTPS_PROXY, HTTP_PROXY, NO_PROXY": "The proxy for the CRDS server, and the hosts that "
                                         "bypass it (as `requests` reads them; read once per "
                                         "server and run). `~/.netrc` is not read.",
    "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE": "A CA bundle to verify the CRDS server's "
                                          "certificate with (a site proxy that re-signs "
                                          "HTTPS).",
    "CI": "When true, nothing prompts (a missing token is an error, not a question).",
    "GITHUB_ACTIONS": "When true, `validate` and `plan` also print problems as workflow "
                      "annotations (`::error file=...,line=...::...`).",
    "GITHUB_STEP_SUMMARY": "In GitHub Actions, `plan` appends its Markdown (and `validate` a "
                           "problem table) to this file.",
    "GITHUB_WORKSPACE": "Annotation and report paths are relative to this folder (else the "
                        "current folder).",
    "GITLAB_CI": "When true, `validate` and `plan` write a Code Quality report (default "
                 "`gl-code-quality-report.json`).",
    "CI_PROJECT_DIR": "In GitLab CI, report paths are relative to this folder.",
}


def _type_word(param: object) -> str:
    """How an option's value is written: TEXT, PATH, a, b, c (an Enum's values: no `|`, which
    splits table cells)... From the click type typer built for it, which every typer version
    gives."""
    kind = param.type
    choices = getattr(kind, "choices", None)
    if choices:
        return ", ".join(str(getattr(c, "value", c)) for c in choices)
    names = {"text": "TEXT", "path": "PATH", "float": "NUMBER", "integer": "INTEGER",
             "boolean": ""}
    return names.get(kind.name, kind.name.upper())


def _default(param: object) -> str:
    default = getattr(param, "default", None)
    if default in (None, [], ()) or getattr(param, "required", False):
        return ""
    if isinstance(default, Enum):
        default = default.value
    if isinstance(default, bool):
        if not getattr(param, "secondary_opts", None):
            return ""  # a plain flag: off unless given
        default = param.opts[0] if default else param.secondary_opts[0]
    return f" (default: `{default}`)"


def _option_row(param: object) -> str:
    names = ", ".join(f"`{o}`" for o in param.opts + param.secondary_opts)
    value = param.metavar or _type_word(param)
    if getattr(param, "is_flag", False):
        value = ""
    repeat = " (repeatable)" if param.multiple and "repeatable" not in (param.help or "") else ""
    required = " **required**" if param.required else ""
    help_text = " ".join((param.help or "").split()).replace("|", "\\|")
    value_cell = f"`{value}`" if value else ""
    return (f"| {names} | {value_cell} | {help_text}{required}{repeat}{_default(param)} |")


def _command_section(path: list[str], command: object) -> list[str]:
    title = " ".join(["crds-deliver", *path])
    lines = [f"### `{title}`", ""]
    arguments = [p for p in command.params if not p.opts[0].startswith("-")]
    options = [p for p in command.params if p.opts[0].startswith("-")]
    usage = title + (" [OPTIONS]" if options else "")
    usage += "".join(f" {argument_word(arg, usage=True)}" for arg in arguments)
    lines += ["```", usage, "```", ""]
    help_text = inspect.cleandoc(command.help or "")
    lines += [help_text, ""]
    if arguments:
        lines += ["| argument | help |", "| --- | --- |"]
        for arg in arguments:
            required = " **required**" if arg.required else ""
            lines.append(f"| `{argument_word(arg)}` | {' '.join((arg.help or '').split())}"
                         f"{required} |")
        lines.append("")
    if options:
        lines += ["| option | value | help |", "| --- | --- | --- |"]
        lines += [_option_row(p) for p in options]
        lines.append("")
    return lines


def walk_commands(group: object | None = None, path: list[str] | None = None):
    """Every leaf command as (words after crds-deliver, click command), in help order."""
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        words = [*(path or []), name]
        if hasattr(command, "commands"):
            yield from walk_commands(command, words)
        else:
            yield words, command


def error_classes() -> list[type[CrdsDeliverError]]:
    """Every typed error of the package (all its modules imported), by exit code then name."""
    for module in pkgutil.walk_packages(crds_deliver.__path__, "crds_deliver."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    found: list[type[CrdsDeliverError]] = []
    todo = [CrdsDeliverError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted(set(found), key=lambda c: (c.exit_code, c.__name__))


def render() -> str:
    lines = [
        "# crds-deliver reference",
        "",
        "Every command, option, environment variable and exit code. Generated from the command",
        "line itself: `python -m tests.gitops.reference > docs/reference.md` (a test fails when",
        "a command or option is missing here).",
        "",
        "## Global options",
        "",
        "| option | value | help |",
        "| --- | --- | --- |",
        *[_option_row(p) for p in typer.main.get_command(app).params],
        "| `--help` |  | Show a command's help and exit (every command has it). |",
        "",
        "## Commands",
        "",
    ]
    for words, command in walk_commands():
        lines += _command_section(words, command)
    lines += ["## Environment variables", "", "| variable | effect |", "| --- | --- |"]
    lines += [f"| `{name}` | {text} |" for name, text in ENVIRONMENT.items()]
    lines += ["", "## Exit codes", "",
              "| code | meaning |", "| --- | --- |",
              "| 0 | success: everything valid, delivered, or nothing to do |",
              "| 1 | problems found (invalid manifest, refused plan, a delivery that ended "
              "BAD_FILES or FAILED, schema drift, server not answering in `status`), or "
              "failures of different kinds |",
              "| 2 | the command line is wrong (unknown option, bad value, missing file) |"]
    by_code: dict[int, list[type]] = {}
    for cls in error_classes():
        by_code.setdefault(cls.exit_code, []).append(cls)
    lines += ["", "Typed errors and the exit code each gives (the message is printed as "
                  "`error: ...`, never a traceback). `apply`, `confirm` and `cancel` exit with "
                  "their failures' own code when all failures share it (3 locked, 4 server, "
                  "5 needs a person), else 1:", "",
              "| code | error | when |", "| --- | --- | --- |"]
    for code, classes in sorted(by_code.items()):
        for cls in classes:
            doc = " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
            lines.append(f"| {code} | `{cls.__name__}` | {doc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
