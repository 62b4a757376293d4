"""A manifest built from Python values, written as the YAML a reviewer reads.

The values are never validated on their own: they are written as manifest text and that text
goes through the same parser and schema as a manifest on disk, so a notebook and a pull request
get the same verdict, field for field. Only what YAML cannot hold is refused here (a numpy
scalar, a datetime), with the field it was given for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import yaml

from crds_deliver.errors import ManifestError
from crds_deliver.files import repository_root
from crds_deliver.manifest import Manifest
from crds_deliver.problems import Problem

# What a manifest field may hold once written as YAML.
Scalar = str | bool | int | float | None
FileArg = str | os.PathLike
ManifestData = dict[str, object]

WRITTEN_BY = "# Written by crds-deliver's Python API (Delivery.save); edit it like any manifest."
VALUES = "Delivery(...)"  # how problems found in values (not in a file) name their place
_GLOB_CHARS = re.compile(r"[*?[]")
_NAME_CHARS = re.compile(r"[^a-z0-9]+")


class DeliveryError(ManifestError):
    """A delivery cannot be built or used as given: carries every problem, each with its field,
    so a notebook user fixes them all at once."""

    def __init__(self, problems: list[Problem], what: str = "the delivery is not valid") -> None:
        lines = "".join(f"\n  {_with_field(p)}" for p in problems)
        super().__init__(f"{what} ({len(problems)} problem(s)):{lines}", problems)
        self.what = what


def _with_field(problem: Problem) -> str:
    """The message, led by its field unless it already names it."""
    if problem.field and not problem.message.startswith(problem.field):
        return f"{problem.field}: {problem.message}"
    return problem.message


def values_problem(field: str, message: str) -> Problem:
    return Problem(VALUES, f"{field}: {message}", field=field)


def _scalar_problems(field: str, value: object) -> list[Problem]:
    if value is None or isinstance(value, (str, bool, int, float)):
        return []
    return [values_problem(field, f"{type(value).__name__} {value!r} is not text, a boolean "
                                  "or a number")]


def _mapping(field: str, value: object, problems: list[Problem]) -> dict[str, object]:
    """`value` as a dict of plain scalars; anything else becomes a problem of `field`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(values_problem(field, f"{type(value).__name__} is not a mapping of "
                                              "field names to values"))
        return {}
    result: dict[str, object] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            problems.append(values_problem(field, f"the key {key!r} is not text"))
            continue
        found = _scalar_problems(f"{field}.{key}", item)
        problems += found
        if not found:
            result[key] = item
    return result


def _file_list(files: object, problems: list[Problem]) -> list[str]:
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    if not isinstance(files, Sequence):
        problems.append(values_problem("files", f"{type(files).__name__} is not a list of paths "
                                                "or globs"))
        return []
    result = []
    for index, item in enumerate(files):
        if isinstance(item, (str, os.PathLike)):
            result.append(os.fspath(item))
        else:
            problems.append(values_problem(f"files[{index}]", f"{type(item).__name__} "
                                                              f"{item!r} is not a path"))
    return result


def relocate(pattern: str, base: Path, folder: Path) -> str:
    """`pattern` (relative to `base`, or absolute) as a manifest in `folder` writes it."""
    path = Path(pattern).expanduser()
    full = path if path.is_absolute() else base / path
    return Path(os.path.relpath(full, folder)).as_posix()


def _fixed_folder(pattern: Path) -> Path:
    """The folder part of a glob before its first wildcard (a plain file: its folder)."""
    parts = pattern.parts
    for index, part in enumerate(parts):
        if _GLOB_CHARS.search(part):
            return Path(*parts[:index])
    return pattern.parent


def outside_root(patterns: Sequence[str], folder: Path) -> str | None:
    """The `files_root` a manifest in `folder` needs for `patterns` (relative to `folder`):
    the folder holding every file outside the repository, or None when all are inside.

    Writing it into the manifest keeps the widened boundary visible to whoever reviews it."""
    root = repository_root(folder)
    outside = []
    for pattern in patterns:
        fixed = _fixed_folder(Path(os.path.normpath(folder / pattern))).resolve()
        if fixed != root and root not in fixed.parents:
            outside.append(str(fixed))
    if not outside:
        return None
    return Path(os.path.relpath(os.path.commonpath(outside), folder)).as_posix()


def from_values(project: object, server: object, files: object, form: object,
                options: object, context: object, base: Path, folder: Path
                ) -> tuple[ManifestData, list[Problem]]:
    """The manifest mapping for values given relative to `base` (the current folder), as a
    manifest in `folder` holds them; problems for what YAML cannot carry."""
    problems: list[Problem] = []
    data: ManifestData = {}
    for field, value in (("project", project), ("server", server), ("context", context)):
        problems += _scalar_problems(field, value)
        if value is not None:
            data[field] = value
    globs = [relocate(p, base, folder) for p in _file_list(files, problems)]
    data["files"] = globs
    data["form"] = _mapping("form", form, problems)
    chosen = _mapping("options", options, problems)
    if "files_root" in chosen and isinstance(chosen["files_root"], str):
        chosen["files_root"] = relocate(chosen["files_root"], base, folder)
    elif globs and (needed := outside_root(globs, folder)) is not None:
        chosen["files_root"] = needed
    if chosen:
        data["options"] = chosen
    return data, problems


def from_manifest(manifest: Manifest, folder: Path) -> ManifestData:
    """A loaded manifest's mapping, with paths rewritten for a copy saved in `folder` (and a
    files_root when the files end up outside that folder's repository)."""
    base = manifest.folder
    options = {k: v for k, v in asdict(manifest.options).items() if v is not None}
    globs = [relocate(p, base, folder) for p in manifest.files]
    if "files_root" in options:
        options["files_root"] = relocate(str(options["files_root"]), base, folder)
    elif (needed := outside_root(globs, folder)) is not None:
        options["files_root"] = needed
    data: ManifestData = {"project": manifest.project, "server": manifest.server,
                          "context": manifest.context, "files": globs,
                          "form": dict(manifest.form), "options": options}
    if manifest.pinned:
        data["pinned"] = [asdict(p) for p in manifest.pinned]
    return data


def manifest_text(data: ManifestData, schema_ref: str) -> str:
    """The manifest as YAML: a schema line for editors, then the fields in the usual order."""
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False)
    return f"# yaml-language-server: $schema={schema_ref}\n{WRITTEN_BY}\n{body}"


def default_name(form: Mapping[str, object], when: datetime | None = None) -> str:
    """`2026-11-30-015200-miri-dark.yaml`: sortable, and says what was delivered."""
    stamp = (when or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    what = [_NAME_CHARS.sub("-", str(form.get(key) or "").lower()).strip("-")
            for key in ("instrument", "file_type")]
    return "-".join([stamp, *(w for w in what if w)]) + ".yaml"


def free_path(path: Path) -> Path:
    """`path`, or `path` with -2, -3 ... before .yaml when a manifest or record holds the name."""
    candidate, number = path, 1
    while candidate.exists() or candidate.with_name(candidate.stem + ".result.yaml").exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate

