"""A new manifest with every form field written out, so a deliverer fills a form instead of
recalling one.

The manifest starts with a `yaml-language-server` schema line, so editors with a YAML language
server complete field names and flag mistakes while typing; required fields carry a
`# required` comment, and required text that nobody has filled in yet is left empty so that
`crds-deliver validate` points at exactly those lines.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from crds_deliver.errors import CrdsDeliverError, UsageError
from crds_deliver.formspec import BOOLEAN, FormField, all_fields
from crds_deliver.manifest import MANIFEST_SUFFIXES, Options
from crds_deliver.projects import INSTRUMENTS, USE_CASES, project_of_instrument

SCHEMA_NAME = "delivery.schema.json"
REPO_SCHEMA = Path("schemas") / SCHEMA_NAME
# Fields the tool fills itself when absent; writing them empty would change what is posted.
LEFT_OUT = {"creator": "defaults to '<INSTRUMENT> Team'"}
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/*?,=+()-]*$")

OPTION_NOTES = {
    "auto_confirm": "confirm when the server reports no errors; cancel otherwise",
    "auto_rename": "let the server give the files official CRDS names",
    "compare_old_reference": "have the server compare each file with the one it replaces",
    "ingest": "wipe: empty the server's ingest area first; keep: keep files already there",
}


class ManifestExists(CrdsDeliverError):
    """`new` never overwrites: the path already holds a file."""


class CannotWrite(CrdsDeliverError):
    """A new manifest or an exported schema cannot be written (a parent is a file, no room)."""


@dataclass(frozen=True)
class NewManifest:
    """What goes into a new manifest; `values` overrides the form's defaults."""

    project: str
    instrument: str
    server: str
    files: tuple[str, ...] = ()
    values: dict[str, Any] | None = None
    files_root: str | None = None  # the outside folder the files need (api.values.outside_root)


def pick_project(project: str | None, instrument: str) -> tuple[str, str]:
    """Project and instrument, checked against each other; the project may be inferred from
    the instrument. Raises UsageError naming the allowed values."""
    wanted = instrument.strip().lower()
    if project is None:
        project = project_of_instrument(wanted)
        if project is None:
            raise UsageError(f"unknown instrument '{instrument}'; give --project and one of its "
                             "instruments")
    project = project.strip().lower()
    if project not in INSTRUMENTS:
        raise UsageError(f"unknown project '{project}'; expected one of "
                         + ", ".join(INSTRUMENTS))
    if wanted not in INSTRUMENTS[project]:
        raise UsageError(f"'{instrument}' is not an instrument of {project} (expected one of "
                         + ", ".join(INSTRUMENTS[project]) + ")")
    return project, wanted


def default_path(project: str, instrument: str, today: date | None = None) -> Path:
    """Where a delivery repository keeps a new manifest: manifests/<project>/<instrument>/."""
    day = (today or date.today()).isoformat()
    return Path("manifests") / project / instrument / f"{day}-{instrument}-delivery.yaml"


def target_path(path: Path | None, project: str, instrument: str) -> Path:
    """The file to write: PATH itself, a default name inside a folder PATH, or the default."""
    if path is None:
        return default_path(project, instrument)
    if path.is_dir():
        return path / default_path(project, instrument).name
    if not path.name.endswith(MANIFEST_SUFFIXES):
        raise UsageError(f"{path}: a manifest's name ends in .yaml or .yml")
    return path


def bundled_schema_path() -> Path:
    """The schema file installed with this package."""
    return Path(str(resources.files("crds_deliver").joinpath("schemas", SCHEMA_NAME)))


def repo_schema(manifest: Path) -> Path | None:
    """A delivery repository's own copy of the schema: `schemas/delivery.schema.json` in the
    manifest's folder or above (`crds-deliver schema export` writes it)."""
    folder = manifest.resolve().parent
    for parent in (folder, *folder.parents):
        candidate = parent / REPO_SCHEMA
        if candidate.is_file():
            return candidate
    return None


def schema_reference(manifest: Path) -> str:
    """The `$schema` an editor should use, relative to the manifest's folder: the repository's
    own copy when there is one (it works for everyone who clones the repository), else the copy
    installed with this package (it works on this machine)."""
    target = repo_schema(manifest) or bundled_schema_path()
    try:
        return Path(os.path.relpath(target, manifest.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return target.as_uri()


def scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly `value` (plain when that is safe)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if _PLAIN.match(text) and yaml.safe_load(text) == text and ": " not in text:
        return text
    return json.dumps(text)  # a JSON string is a valid YAML double-quoted scalar


def field_value(spec: FormField, new: NewManifest) -> Any:
    """The value written for a field: the caller's, else the form's default, else empty."""
    values = new.values or {}
    if spec.key in values:
        return values[spec.key]
    if spec.key == "instrument":
        return new.instrument
    if spec.initial is not None:
        return spec.initial
    return False if spec.type == BOOLEAN else ""


def _field_lines(spec: FormField, value: Any) -> list[str]:
    """The label (and help) as a comment line, then the field, marked required or not, with
    its choices."""
    about = spec.label + (f" ({spec.help_text})" if spec.help_text else "")
    mark = "required" if spec.required else "optional"
    if spec.type != BOOLEAN and spec.choices:
        mark += ": " + " | ".join(str(c) for c in spec.choices)
    return [f"  # {about}", f"  {spec.key}: {scalar(value)}  # {mark}"]


def render(new: NewManifest, schema_ref: str, today: date | None = None) -> str:
    """The manifest text: every form field with its default, required ones marked."""
    day = (today or date.today()).isoformat()
    servers = ", ".join(USE_CASES[new.project])
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# {new.project.upper()} {new.instrument} delivery, started {day} with crds-deliver new.",
        "# Fill in the fields marked 'required', then run: crds-deliver validate <this file>",
        f"project: {new.project}",
        f"server: {scalar(new.server)}  # {servers}, or the server's URL",
        f"context: {new.project}-edit  # the context the new rules derive from",
    ]
    if new.files:
        lines.append("files:  # required; globs relative to this folder")
        lines += [f"  - {scalar(glob)}" for glob in new.files]
    else:
        lines.append("files: []  # required; globs relative to this folder, e.g. [refs/*.fits]")
    lines.append("form:")
    for spec in all_fields(new.project):
        if spec.key in LEFT_OUT and spec.key not in (new.values or {}):
            lines.append(f"  # {spec.key}: \"\"  # optional: {LEFT_OUT[spec.key]}")
            continue
        lines += _field_lines(spec, field_value(spec, new))
    lines.append("options:")
    defaults = Options()
    for key, note in OPTION_NOTES.items():
        lines.append(f"  {key}: {scalar(getattr(defaults, key))}  # {note}")
    if new.files_root is not None:
        lines.append(f"  files_root: {scalar(new.files_root)}  # the files lie outside the "
                     "repository, in this folder")
    return "\n".join(lines) + "\n"


def _write_atomically(path: Path, data: bytes, replace: bool) -> None:
    """Write through a temp file in the same folder; the final step is a rename (replace) or a
    hard link, which fails on an existing name (never replace), so readers never see half a
    file and `new` never overwrites even a file created meanwhile."""
    if path.parent.exists() and not path.parent.is_dir():
        raise CannotWrite(f"cannot write {path}: {path.parent} is not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".crds-deliver-", dir=path.parent)
    except OSError as exc:
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        if replace:
            os.replace(temp, path)
        else:
            os.link(temp, path)
    except FileExistsError:
        raise ManifestExists(f"{path} already exists; not overwriting it") from None
    except OSError as exc:
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def write_new(path: Path, text: str) -> None:
    """Create `path` with `text`, refusing to replace anything that exists."""
    if path.exists() or path.is_symlink():
        raise ManifestExists(f"{path} already exists; not overwriting it (choose another PATH)")
    _write_atomically(path, text.encode("utf-8"), replace=False)


def export_schema(target: Path) -> None:
    """Write the bundled schema to `target` (replacing an older export), so a delivery
    repository can keep the schema its manifests point at."""
    _write_atomically(target, bundled_schema_path().read_bytes(), replace=True)
