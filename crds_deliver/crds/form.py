"""The submission post's fields and the derive-from context, spelled as the server reads them.

Booleans go as `True`/`False` (Django reads "No" as true), choices keep the spelling the
manifest loader normalised them to, `creator` defaults to "<INSTRUMENT> Team", and the
derive-from context becomes `pmap_mode` + `pmap_name` (+ `pmap_text` for a literal context).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crds_deliver.crds.errors import CrdsError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


@dataclass(frozen=True)
class Context:
    """How the new rules derive: the mode the server reads and the literal pmap behind it."""

    requested: str
    pmap_mode: str
    pmap_name: str


def resolve_context(requested: str, project: str, server_info: dict[str, Any],
                    by_date: Any) -> Context:
    """Turn a manifest's `context` into (pmap_mode, pmap_name).

    `-edit` and `-latest` let the server float to its own current context (the web form's
    "or more recent"); every other spelling posts a literal pmap as `pmap_text`: `-operational`
    and `-versions` are looked up in server info (the reference client's no-op replace is not
    copied), a date asks `get_context_by_date` (`by_date(spec)`), a `.pmap` is used as is.
    """
    spec = requested.strip()
    suffix = spec[len(project) + 1:] if spec.startswith(project + "-") else None
    if suffix == "edit":
        return Context(spec, "pmap_edit", _pmap(server_info.get("edit_context"), spec))
    if suffix == "latest":
        name = server_info.get("latest_context") or server_info.get("operational_context")
        return Context(spec, "pmap_latest", _pmap(name, spec))
    if suffix in ("operational", "versions"):
        return Context(spec, "pmap_text", _pmap(server_info.get(f"{suffix}_context"), spec))
    if spec.endswith(".pmap"):
        return Context(spec, "pmap_text", spec)
    date = suffix if suffix is not None else spec
    if _DATE.match(date):
        return Context(spec, "pmap_text", _pmap(by_date(f"{project}-{date}"), spec))
    raise CrdsError(f"context {spec!r}: expected {project}-edit, {project}-latest, "
                    f"{project}-operational, a date or a .pmap name")


def _pmap(name: Any, spec: str) -> str:
    if not isinstance(name, str) or not name.endswith(".pmap"):
        raise CrdsError(f"context {spec!r}: the server gave no .pmap for it (got {name!r})")
    return name


def _wire(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def submission_fields(form: dict[str, Any], context: Context, *, auto_rename: bool,
                      compare_old_reference: bool) -> dict[str, str]:
    """The fields posted to `/submission_form/redcat_submit/` (without the CSRF token)."""
    fields: dict[str, Any] = dict(form)
    fields.setdefault("creator", f"{str(form['instrument']).upper()} Team")
    fields["pmap_mode"] = context.pmap_mode
    fields["pmap_name"] = context.pmap_name
    if context.pmap_mode == "pmap_text":
        fields["pmap_text"] = context.pmap_name
    fields["auto_rename"] = auto_rename
    fields["compare_old_reference"] = compare_old_reference
    wired = {key: _wire(value) for key, value in fields.items()}
    return {key: value for key, value in wired.items() if value is not None}
