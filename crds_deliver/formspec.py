"""The CRDS submission form, field by field, as a CRDS server describes it.

This is the bundled knowledge of the form that `redcat_description.yml` publishes (plus the two
hand-written fields of the page, `change_level` and `description`). The manifest schema mirrors
it (a test keeps the two in step), the sandbox serves it as its form description, and
`crds-deliver form` shows it when no server answers. Labels are our own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crds_deliver.projects import INSTRUMENTS

BOOLEAN = "BooleanField"
TEXT = "CharField"
CHOICE = "TypedChoiceField"

YES_NO_NA: tuple[str, ...] = ("N/A", "No", "Yes")
CHANGE_LEVELS: tuple[str, ...] = ("TRIVIAL", "MODERATE", "SEVERE")

# Length limits of the server's form (ReDCaT CharFields; see docs/reference.md). The other text
# fields are unbounded text areas on the server; MAX_TEXT bounds them here so that a pasted file
# cannot become a form value.
SHORT_TEXT = 100
LONG_TEXT = 500
MAX_TEXT = 4000

# Characters the submission clients accept in `description`: letters, digits, whitespace and
# . _ / , = - +
DESCRIPTION_PATTERN = r"^[A-Za-z0-9._\s/,=+-]+$"
DESCRIPTION_RE = re.compile(DESCRIPTION_PATTERN)


@dataclass(frozen=True)
class FormField:
    """One field of the submission form."""

    key: str
    type: str
    label: str
    required: bool
    help_text: str = ""
    initial: object = None
    choices: tuple = field(default_factory=tuple)
    # The server's Django form refuses longer values (its CharField max_length).
    max_length: int | None = None

    def description_entry(self) -> dict:
        """The mapping a server publishes for this field in redcat_description.yml."""
        entry: dict = {"key": self.key, "type": self.type, "label": self.label,
                       "required": self.required}
        if self.help_text:
            entry["help_text"] = self.help_text
        if self.initial is not None:
            entry["initial"] = self.initial
        if self.choices:
            entry["choices"] = list(self.choices)
        return entry


def _flag(key: str, label: str) -> FormField:
    return FormField(key, BOOLEAN, label, False, initial=False, choices=(False, True))


def _yes_no(key: str, label: str, help_text: str = "") -> FormField:
    return FormField(key, CHOICE, label, True, help_text=help_text, initial="N/A",
                     choices=YES_NO_NA)


def redcat_fields(project: str) -> list[FormField]:
    """The fields of the server's redcat_description.yml for a project, in display order."""
    instruments = INSTRUMENTS[project]
    return [
        FormField("deliverer", TEXT, "Name of the person delivering the files", True,
                  help_text="Your name", max_length=SHORT_TEXT),
        FormField("other_email", TEXT, "Further e-mail addresses to notify", False,
                  help_text="Comma-separated, optional", max_length=LONG_TEXT),
        FormField("instrument", CHOICE,
                  "Instrument of every delivered file; it is locked for this submission", True,
                  initial=instruments[0], choices=instruments),
        FormField("file_type", TEXT, "Type of the files (bias, dark, flat...)", True,
                  max_length=SHORT_TEXT),
        _flag("history_updated", "HISTORY in the primary header explains this delivery"),
        _flag("pedigree_updated", "PEDIGREE checked and updated"),
        _flag("keywords_checked", "COMMENT (JWST: REFTYPE and AUTHOR) checked"),
        _flag("descrip_updated", "DESCRIP summarises why the files were made"),
        _flag("useafter_updated", "USEAFTER checked and updated"),
        _yes_no("useafter_matches", "New USEAFTER dates equal those of the files replaced",
                help_text="N/A for ETC files only"),
        _yes_no("compliance_verified", "Compliance verified (FITS, certify, ...)"),
        _flag("ingest_files", "Reprocess the affected data"),
        _flag("etc_delivery", "Deliver the files to the ETC too"),
        _flag("jwst_etc", "These are JWST ETC files"),
        FormField("calpipe_version", TEXT,
                  "Calibration software (and version) the files were run through", True,
                  max_length=LONG_TEXT),
        _flag("replacement_files", "Some files replace existing reference files"),
        FormField("old_reference_files", TEXT, "The reference files replaced", False),
        _yes_no("replacing_badfiles", "The replaced files are bad and must not be used"),
        FormField("jira_issue", TEXT, "Related JIRA issues", False,
                  help_text="Comma-separated, optional", max_length=SHORT_TEXT),
        FormField("table_rows_changed", TEXT, "For tables: the rows that changed", False),
        FormField("modes_affected", TEXT, "Observing modes affected by the change", True),
        FormField("correctness_testing", TEXT, "How the files were tested for correctness", True),
        FormField("additional_considerations", TEXT, "Anything else the reviewers should know",
                  False),
    ]


def page_fields() -> list[FormField]:
    """Fields of the hand-written part of the submission page, not in the description file."""
    return [
        FormField("change_level", CHOICE, "Level of change to the calibration", True,
                  initial="SEVERE", choices=CHANGE_LEVELS),
        FormField("description", TEXT, "Description of the delivery", True,
                  help_text="Letters, digits, spaces and . _ / , = - + only"),
        FormField("creator", TEXT, "Creator of the files", False,
                  help_text="Defaults to '<instrument> Team'"),
    ]


def all_fields(project: str) -> list[FormField]:
    """Every field a manifest's `form` section may hold, for one project."""
    return redcat_fields(project) + page_fields()
