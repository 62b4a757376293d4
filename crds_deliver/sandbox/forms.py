"""The submission form, server side: its published description and the check of a posted form.

Both come from crds_deliver.formspec, the one statement of the form this project keeps, so the
sandbox publishes exactly the fields our manifests and the crds client expect, and refuses what
the real server's Django form would refuse (missing required fields, unknown choices, forbidden
characters in the description).
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from crds_deliver.formspec import (
    BOOLEAN,
    CHOICE,
    DESCRIPTION_RE,
    MAX_TEXT,
    FormField,
    page_fields,
    redcat_fields,
)

PMAP_MODES = ("pmap_edit", "pmap_latest", "pmap_operational", "pmap_text", "pmap_menu")
_FALSE = {"false", "0", "0.0", "f", "", "off", "no_value"}


def description_yaml(project: str) -> str:
    """The body of /submission_form/redcat_description.yml for a project.

    PyYAML quotes strings such as 'Yes'/'No' that would otherwise load as booleans.
    """
    entries = [f.description_entry() for f in redcat_fields(project)]
    return yaml.safe_dump(entries, sort_keys=False, default_flow_style=False, width=100)


def checkbox(value: str | None) -> bool:
    """Django-style checkbox reading: False/false/0/F/empty/absent are false, the rest true."""
    return value is not None and value.strip().lower() not in _FALSE


def check_fields(posted: Mapping[str, str], fields: list[FormField]) -> tuple[dict, list[str]]:
    """Clean the posted values of `fields`; returns (values, error messages)."""
    values: dict = {}
    errors: list[str] = []
    for spec in fields:
        raw = posted.get(spec.key)
        if spec.type == BOOLEAN:
            values[spec.key] = checkbox(raw)
            continue
        text = (raw or "").strip()
        if not text:
            if spec.required:
                errors.append(f"Field '{spec.key}': this field is required.")
            values[spec.key] = ""
            continue
        limit = spec.max_length or MAX_TEXT
        if len(text) > limit:
            errors.append(f"Field '{spec.key}': ensure this value has at most {limit} characters "
                          f"(it has {len(text)}).")
        if spec.type == CHOICE and text not in spec.choices:
            errors.append(f"Field '{spec.key}': select a valid choice; '{text}' is not one of "
                          + ", ".join(str(c) for c in spec.choices) + ".")
        if spec.key == "description" and not DESCRIPTION_RE.match(text):
            bad = sorted({c for c in text if not DESCRIPTION_RE.match(c)})
            errors.append("Field 'description': invalid character(s) " + " ".join(
                repr(c) for c in bad) + "; only letters, digits, whitespace and . _ / , = - +"
                " are allowed.")
        values[spec.key] = text
    return values, errors


def check_context(posted: Mapping[str, str]) -> tuple[dict, list[str]]:
    """The derive-from context choice of a form: `pmap_mode` and, for a named context, its
    name (in the field named by the mode, or `pmap_text`)."""
    values: dict = {}
    errors: list[str] = []
    mode = posted.get("pmap_mode", "pmap_edit")
    if mode not in PMAP_MODES:
        errors.append(f"Field 'pmap_mode': '{mode}' is not one of " + ", ".join(PMAP_MODES))
    values["pmap_mode"] = mode
    values["pmap_text"] = (posted.get(mode) or posted.get("pmap_text") or "").strip() \
        if mode in ("pmap_text", "pmap_menu") else ""
    if mode in ("pmap_text", "pmap_menu") and not values["pmap_text"]:
        errors.append(f"Field '{mode}': a context name is required.")
    values["compare_old_reference"] = checkbox(posted.get("compare_old_reference"))
    return values, errors


def check_submission(posted: Mapping[str, str], project: str, redcat: bool
                     ) -> tuple[dict, list[str]]:
    """Check a submission POST: the ReDCaT fields (redcat form only), the page fields, the
    derive-from context, and the option checkboxes."""
    fields = (redcat_fields(project) if redcat else []) + page_fields()
    values, errors = check_fields(posted, fields)
    context, context_errors = check_context(posted)
    values.update(context)
    values["auto_rename"] = checkbox(posted.get("auto_rename"))
    return values, errors + context_errors
