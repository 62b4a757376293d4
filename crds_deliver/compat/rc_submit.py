"""A drop-in for the crds package's `crds.submit.rc_submit`, on crds-deliver's engine.

A notebook written for `from crds.submit import rc_submit` switches by changing that one line
to `from crds_deliver.compat import rc_submit`: `Submission(project, usecase)`, the form as
items (same field names, value types and choices), `add_file`, `validate()`, `submit()`
returning a `SubmissionResult` with `ready_url`, `error_count` and `warning_count`, and
`file_map`. What changes underneath:

- preflight is offline (no synced CRDS cache): the form is the bundled field list, and
  submit() certifies the files locally before anything is uploaded;
- submit() writes a manifest and its result record into a working folder (`folder=`, default
  `./crds-deliveries/`), so the delivery is recorded like any other and can be reviewed,
  resumed and listed by `crds-deliver history`; calling submit() again with the same form and
  files resumes or reports that delivery instead of posting it twice;
- the server is CRDS_SERVER_URL when set, else the use case's server, as in crds (but the
  environment is left untouched).
"""

from __future__ import annotations

import collections
import logging
import os
import webbrowser
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from pathlib import Path
from textwrap import wrap

import yaml

from crds_deliver.api import Delivery, DeliveryError
from crds_deliver.apply import Callbacks
from crds_deliver.crds import Message, resolve_server
from crds_deliver.formspec import (
    BOOLEAN,
    CHOICE,
    DESCRIPTION_RE,
    FormField,
    page_fields,
    redcat_fields,
)
from crds_deliver.problems import Problem, Severity
from crds_deliver.projects import PROJECTS, USE_CASES

log = logging.getLogger("crds_deliver.compat")

FieldValue = str | bool
_EMPTY: dict[str, type] = {BOOLEAN: bool, "CharField": str, CHOICE: str}
WHERE = "Submission"  # how problems found in the form object name their place


class NoFilesSelected(DeliveryError):
    """submit() or validate() before add_file(): there is nothing to deliver."""


class FieldError(DeliveryError, ValueError):
    """A form value of the wrong type, an empty required field, or not one of the choices
    (a ValueError, as in crds)."""

    def __init__(self, problems: list[Problem], what: str = "the submission form is not valid"
                 ) -> None:
        super().__init__(problems, what)

    __str__ = Exception.__str__


class UnknownField(FieldError, KeyError):
    """A field name the submission form does not have (a KeyError, as in crds)."""

    __str__ = Exception.__str__


def _problem(key: str, message: str) -> Problem:
    return Problem(WHERE, f"{key}: {message}", field=key)


class SubmissionResult(collections.namedtuple("SubmissionResult",
                                              ["error_count", "warning_count", "ready_url"])):
    """What submit() returns, as in crds; `file_map` (uploaded name → official name),
    `state` and `record_path` are extras."""

    file_map: dict[str, str]
    state: str | None
    record_path: Path | None

    def open_ready_url(self) -> None:
        if self.ready_url is None:
            raise RuntimeError("ready_url is not present")
        webbrowser.open(self.ready_url)


def _form_fields(project: str) -> dict[str, FormField]:
    """The fields crds's Submission offers: the server's description plus change_level and
    description (the creator is '<instrument> Team', as crds sets it)."""
    page = [f for f in page_fields() if f.key in ("change_level", "description")]
    return {f.key: f for f in redcat_fields(project) + page}


class Submission:
    """A CRDS submission prepared in Python (see crds.submit.rc_submit.Submission).

    `folder` is where submit() keeps the manifest and result record it writes (default:
    `crds-deliveries/` in the current folder).
    """

    def __init__(self, observatory: str, string: str, context: str | None = None,
                 *, folder: str | os.PathLike | None = None) -> None:
        observatory, string = observatory.lower(), string.lower()
        if observatory not in PROJECTS:
            raise FieldError([_problem("observatory", f"'{observatory}' must be one of "
                                                      + ", ".join(PROJECTS))])
        if string not in USE_CASES[observatory]:
            raise FieldError([_problem("string", f"'{string}' must be one of "
                                                 + ", ".join(USE_CASES[observatory]))])
        self._observatory = observatory
        self._string = string
        self._context = context
        self._folder = Path(folder or "crds-deliveries").expanduser().absolute()
        self._description = _form_fields(observatory)
        self._fields: dict[str, FieldValue] = {}
        for key, spec in self._description.items():
            self._fields[key] = _EMPTY[spec.type]()
            if spec.initial is not None:
                self[key] = spec.initial  # type: ignore[assignment]
        self._files: set[str] = set()
        self._file_map: dict[str, str] = {}
        self._ready_url: str | None = None
        self._results_id: str | None = None
        self._auto_confirm = False
        self._delivery: Delivery | None = None

    def __repr__(self) -> str:
        return (f"<Submission Object {self.observatory}-{self.string}>:\nFields:  "
                f"{self._fields!r}\nFiles:  {self.files}")

    # ----- the form, as a dict --------------------------------------------------------------

    def _checked(self, key: str, value: object) -> FieldValue:
        """`value` as the form holds it (booleans of choice fields become Yes/No, a choice
        takes its listed spelling), or FieldError saying why it cannot be."""
        if key not in self._description:
            raise UnknownField([_problem(key, "not a field of the submission form (fields: "
                                              + ", ".join(self._description) + ")")])
        spec = self._description[key]
        if spec.required and value == "":
            raise FieldError([_problem(key, "cannot be empty")])
        if isinstance(value, bool) and spec.type == CHOICE:
            value = "Yes" if value else "No"
        wanted = _EMPTY[spec.type]
        if not isinstance(value, wanted):
            raise FieldError([_problem(key, f"{value!r} must be of type {wanted.__name__}")])
        if spec.type == CHOICE:
            matches = [str(c) for c in spec.choices if str(c).lower() == str(value).lower()]
            if len(matches) != 1:
                raise FieldError([_problem(key, f"{value!r} must be a valid choice: "
                                                + ", ".join(str(c) for c in spec.choices))])
            value = matches[0]
        return value

    def __setitem__(self, key: str, value: FieldValue) -> None:
        self._fields[key] = self._checked(key, value)

    def __delitem__(self, key: str) -> None:
        """Reset a field to its initial value."""
        if key not in self._fields:
            raise UnknownField([_problem(key, "not a field of the submission form")])
        spec = self._description[key]
        self._fields[key] = _EMPTY[spec.type]()
        if spec.initial is not None:
            self[key] = spec.initial  # type: ignore[assignment]

    def __getitem__(self, key: str) -> FieldValue:
        if key not in self._fields:
            raise UnknownField([_problem(key, "not a field of the submission form")])
        return self._fields[key]

    def __contains__(self, key: object) -> bool:
        return key in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def get(self, key: str, default: FieldValue | None = None) -> FieldValue | None:
        return self._fields.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._fields.keys()

    def values(self) -> ValuesView[FieldValue]:
        return self._fields.values()

    def items(self) -> ItemsView[str, FieldValue]:
        return self._fields.items()

    # ----- files ------------------------------------------------------------------------------

    def add_file(self, filename: str | os.PathLike) -> None:
        """Add a file to the submission (kept as an absolute path: a notebook may chdir)."""
        if not os.access(filename, os.R_OK):
            raise FileNotFoundError(f"'{os.fspath(filename)}' does not exist or is not "
                                    "readable.")
        self._files.add(str(Path(filename).absolute()))

    def remove_file(self, filename: str | os.PathLike) -> None:
        self._files.remove(str(Path(filename).absolute()))

    # ----- properties, as in crds ---------------------------------------------------------

    @property
    def observatory(self) -> str:
        return self._observatory

    @property
    def string(self) -> str:
        return self._string

    @property
    def context(self) -> str | None:
        return self._context

    @property
    def files(self) -> list[str]:
        return sorted(self._files)

    @property
    def folder(self) -> Path:
        """Where submit() writes the manifest and its result record."""
        return self._folder

    @property
    def base_url(self) -> str:
        """The server: CRDS_SERVER_URL when set, else the use case's."""
        return resolve_server(self._observatory, self._string).url

    @property
    def file_map(self) -> dict[str, str]:
        return self._file_map

    @property
    def ready_url(self) -> str | None:
        return self._ready_url

    @property
    def results_id(self) -> str:
        if self._ready_url is None:
            raise RuntimeError("ready url not present")
        return self._ready_url.rstrip("/").split("/")[-1]

    @property
    def auto_confirm(self) -> bool:
        return self._auto_confirm

    @auto_confirm.setter
    def auto_confirm(self, value: bool) -> None:
        self._auto_confirm = bool(value)

    @property
    def delivery(self) -> Delivery | None:
        """The Delivery submit() made (its manifest, record and history)."""
        return self._delivery

    # ----- checking and submitting --------------------------------------------------------

    def help_text(self) -> str:
        """Every field with its type, label, help and choices."""
        parts = []
        for key, spec in self._description.items():
            kind = _EMPTY[spec.type].__name__ + ("" if spec.required else ", optional")
            lines = [f"{key} ({kind})", "-" * len(key), *wrap(spec.label)]
            lines += wrap(spec.help_text) if spec.help_text else []
            if spec.choices and spec.type != BOOLEAN:
                lines += ["Valid choices:", "  {" + ", ".join(f"'{c}'" for c in spec.choices)
                          + "}"]
            parts.append("\n".join(lines) + "\n")
        return "\n".join(parts)

    def help(self) -> None:
        """Print help_text(), as crds's Submission.help() does."""
        print(self.help_text())

    def yaml(self, **options: object) -> str:
        """The form as YAML."""
        return yaml.safe_dump(dict(self._fields), sort_keys=False, **options)  # type: ignore

    def _problems(self) -> list[Problem]:
        problems = [_problem(key, "cannot be empty") for key, spec in self._description.items()
                    if spec.required and self._fields[key] == ""]
        description = str(self._fields.get("description", ""))
        if description and not DESCRIPTION_RE.match(description):
            bad = sorted({c for c in description if not DESCRIPTION_RE.match(c)})
            problems.append(_problem("description", f"invalid character(s) {''.join(bad)!r}: "
                                     "only letters, digits, spaces and . _ / , = - + allowed"))
        return problems

    def _build(self) -> Delivery:
        """The Delivery for the form and files as they are now (checked by the schema)."""
        return Delivery(project=self._observatory, server=self._string, files=self.files,
                        form=dict(self._fields), options={"auto_confirm": self._auto_confirm},
                        context=self._context, folder=self._folder)

    def validate(self) -> None:
        """Check the form and files offline; raise one error listing every problem."""
        problems = self._problems()
        if not self._files:
            problems.append(_problem("files", "no files have been added to the submission; "
                                              "use add_file()"))
            raise NoFilesSelected(problems, "nothing to submit")
        if problems:
            raise FieldError(problems)
        self._build()

    def _same_delivery(self) -> Delivery | None:
        """The delivery submit() made before, when the form and files are still the same."""
        earlier = self._delivery
        if earlier is None:
            return None
        now = self._build()
        same = (now.form == earlier.form and now.options == earlier.options
                and sorted(now.files) == sorted(earlier.files))
        return earlier if same else None

    def submit(self) -> SubmissionResult:
        """Certify offline, then upload, submit and follow the server; the delivery is
        recorded in `folder`. Returns error and warning counts and the results page URL."""
        self.validate()
        delivery = self._same_delivery() or self._build()
        self._delivery = delivery
        callbacks = Callbacks(step=lambda text: log.info("%s", text), message=_log_message)
        outcome = delivery.apply(yes=True, callbacks=callbacks)
        record = outcome.record
        self._ready_url = outcome.results_url
        self._results_id = outcome.results_id
        self._file_map = outcome.file_map
        errors, warnings = _counts(record.data if record else {})
        result = SubmissionResult(errors, warnings, self._ready_url)
        result.file_map = dict(self._file_map)
        result.state = outcome.state
        result.record_path = record.path if record else None
        return result


def _log_message(message: Message) -> None:
    log.info(">> %s", message.text or message.type)


def _is(kind: str, item: dict[str, object]) -> bool:
    text = str(item.get("text") or item.get("message") or "")
    return str(item.get("type") or item.get("severity") or "").lower() == kind.lower() \
        or text.upper().startswith(kind.upper())


def _counts(record: dict[str, object]) -> tuple[int, int]:
    """Errors and warnings: preflight findings plus the server's messages, as crds counts its
    log's errors and warnings."""
    findings = [f for f in record.get("findings") or [] if isinstance(f, dict)]
    messages = [m for m in record.get("messages") or [] if isinstance(m, dict)]
    items = findings + messages
    errors = sum(1 for i in items if _is(Severity.ERROR.value, i))
    warnings = sum(1 for i in items if _is(Severity.WARNING.value, i))
    if record.get("state") in ("BAD_FILES", "FAILED") and not errors:
        errors = 1
    return errors, warnings
