"""The submission form as a user needs to read it, and the drift between a server's live form and
the bundled schema.

Forms evolve (a field becomes required, an instrument appears), and the schema in this package
only mirrors the form as it was when the package was made. So `crds-deliver form` shows the live
form when a server answers, and `crds-deliver schema check` says exactly where the live form and
the bundled schema disagree, before a delivery fails on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

import jsonschema
import requests
import yaml

from crds_deliver.errors import CrdsDeliverError
from crds_deliver.formspec import BOOLEAN, CHOICE, TEXT, FormField, page_fields, redcat_fields
from crds_deliver.manifest import delivery_schema
from crds_deliver.projects import DEFAULT_TIMEOUT

DESCRIPTION_PATH = "submission_form/redcat_description.yml"
MAX_DESCRIPTION_BYTES = 1_000_000

TYPE_WORDS = {BOOLEAN: "true/false", TEXT: "text", CHOICE: "choice"}


class FormUnavailable(CrdsDeliverError):
    """The server's form description cannot be had or read (no answer, not YAML, wrong shape)."""


class FormUnreachable(FormUnavailable):
    """No answer from the server at all: exit 4, as every command that cannot reach it."""

    exit_code = 4


@dataclass(frozen=True)
class FormHelp:
    """The form's fields and where they were read: the live server, or the bundled knowledge."""

    project: str
    fields: list[FormField]
    live: bool
    url: str | None
    reason: str | None = None  # why the bundled form is shown, when it is

    @property
    def source(self) -> str:
        if self.live:
            return f"live form description from {self.url}"
        return f"bundled form knowledge ({self.reason})"


def description_url(server_url: str) -> str:
    """Where a server publishes its form description."""
    return urljoin(server_url.rstrip("/") + "/", DESCRIPTION_PATH)


def fetch_description(server_url: str, timeout: float = DEFAULT_TIMEOUT) -> list[dict]:
    """The server's form description: a list of field mappings, checked for the shape a client
    relies on (key, type, label, required). Raises FormUnavailable with the reason."""
    url = description_url(server_url)
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        raise FormUnreachable(f"{url}: no answer ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise FormUnavailable(f"{url}: HTTP {response.status_code}")
    if len(response.content) > MAX_DESCRIPTION_BYTES:
        raise FormUnavailable(f"{url}: the description is larger than {MAX_DESCRIPTION_BYTES} "
                              "bytes")
    try:
        entries = yaml.safe_load(response.content)
    except yaml.YAMLError as exc:
        raise FormUnavailable(f"{url}: not YAML ({type(exc).__name__})") from None
    if not isinstance(entries, list):
        raise FormUnavailable(f"{url}: expected a list of form fields")
    for index, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("key"), str)
                and isinstance(entry.get("type"), str)
                and isinstance(entry.get("required"), bool)):
            raise FormUnavailable(f"{url}: field {index + 1} lacks key, type or required")
    return entries


def field_from_entry(entry: dict) -> FormField:
    """A FormField from one mapping of a form description."""
    return FormField(
        key=entry["key"], type=entry["type"], label=str(entry.get("label") or ""),
        required=entry["required"], help_text=str(entry.get("help_text") or ""),
        initial=entry.get("initial"), choices=tuple(entry.get("choices") or ()))


def form_help(project: str, server_url: str | None, timeout: float = DEFAULT_TIMEOUT) -> FormHelp:
    """The live form of `server_url` when it answers, else the bundled one (never raises for an
    unreachable server: the bundled form is the documented fallback)."""
    bundled_page = page_fields()
    if server_url is None:
        return FormHelp(project, redcat_fields(project) + bundled_page, False, None,
                        "no server asked")
    try:
        entries = fetch_description(server_url, timeout)
    except FormUnavailable as exc:
        return FormHelp(project, redcat_fields(project) + bundled_page, False,
                        description_url(server_url), f"server not reachable: {exc}")
    live = [field_from_entry(e) for e in entries]
    # The description covers the ReDCaT part of the page only; the page's own fields
    # (change_level, description, ...) are known to us, not published.
    live_keys = {f.key for f in live}
    return FormHelp(project, live + [f for f in bundled_page if f.key not in live_keys], True,
                    description_url(server_url))


# --- drift between a live form description and the bundled schema ---------------------------

_FREE_TEXT = "free text 1 2 3"


@dataclass(frozen=True)
class Drift:
    """One difference between the live form and the bundled schema."""

    field: str
    kind: str  # added | removed | required | type | choices | instruments
    message: str


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(delivery_schema())


def _field_errors(project: str, key: str, value: object) -> list:
    """The bundled schema's objections to `form.<key>: value` (other fields' absence ignored)."""
    document = {"project": project, "form": {key: value}}
    return [e for e in _validator().iter_errors(document)
            if tuple(e.absolute_path)[:2] == ("form", key)]


def _accepts(project: str, key: str, value: object) -> bool:
    return not _field_errors(project, key, value)


def schema_type(project: str, key: str) -> str:
    """The form field type the bundled schema implies for `key`, found by asking the schema:
    a flag takes only booleans, a choice refuses free text, text takes any text."""
    if _accepts(project, key, True) and not _accepts(project, key, "Yes"):
        return BOOLEAN
    if not _accepts(project, key, _FREE_TEXT):
        return CHOICE
    return TEXT


def _words(values: list) -> str:
    return ", ".join(str(v) for v in values)


def schema_drift(project: str, entries: list[dict]) -> list[Drift]:
    """Every difference between a server's form description and the bundled schema: fields
    added or removed, required changed, type changed, choices (and instruments) changed."""
    form_schema = delivery_schema()["properties"]["form"]
    page_keys = {f.key for f in page_fields()}
    schema_keys = [k for k in form_schema["properties"] if k not in page_keys]
    schema_required = set(form_schema.get("required", ()))
    bundled = {f.key: f for f in redcat_fields(project)}
    live = {e["key"]: field_from_entry(e) for e in entries}
    drifts: list[Drift] = []
    for key, live_field in live.items():
        if key not in schema_keys:
            need = "required" if live_field.required else "optional"
            drifts.append(Drift(key, "added", f"{key}: the server's form has this {need} field; "
                                              "the bundled schema does not know it"))
    for key in schema_keys:
        if key not in live:
            drifts.append(Drift(key, "removed", f"{key}: in the bundled schema, gone from the "
                                                "server's form"))
    for key, live_field in live.items():
        if key not in schema_keys:
            continue
        if live_field.required != (key in schema_required):
            now = "required" if live_field.required else "optional"
            was = "optional" if live_field.required else "required"
            drifts.append(Drift(key, "required", f"{key}: now {now} on the server, {was} in the "
                                                 "bundled schema"))
        expected = schema_type(project, key)
        if live_field.type != expected:
            drifts.append(Drift(key, "type", f"{key}: type {live_field.type} on the server, "
                                             f"{expected} in the bundled schema"))
        elif live_field.type == CHOICE:
            drifts.extend(_choice_drift(project, key, live_field, bundled.get(key)))
    return drifts


def _choice_drift(project: str, key: str, live: FormField, bundled: FormField | None) -> list:
    """Choices the server offers that the schema refuses, and bundled choices no longer offered."""
    refused = [c for c in live.choices if not _accepts(project, key, c)]
    offered = {str(c).lower() for c in live.choices}
    gone = [c for c in (bundled.choices if bundled else ()) if str(c).lower() not in offered]
    if not refused and not gone:
        return []
    kind = "instruments" if key == "instrument" else "choices"
    what = "instrument list" if key == "instrument" else "choices"
    parts = []
    if refused:
        parts.append(f"the server offers {_words(refused)}, refused by the bundled schema")
    if gone:
        parts.append(f"the bundled schema accepts {_words(gone)}, no longer offered")
    return [Drift(key, kind, f"{key}: {what} changed: " + "; ".join(parts))]
