"""Checks across a whole delivery: each file against the manifest's form, and files against
each other. A file can be a perfect reference and still be the wrong one for this form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from crds_deliver.certify._reftypes import REFTYPES
from crds_deliver.certify.findings import CertifyResult, Finding, error, warning


@dataclass(frozen=True)
class CertifiedFile:
    """A delivered file as the delivery checks see it: shown name, sha1, preflight result."""

    name: str
    sha1: str
    result: CertifyResult


def type_names(project: str, instrument: str, reftype: str) -> set[str]:
    """Every spelling of a type a submitter may write in form.file_type (upper case):
    the type itself, and for HST also its file-name suffix and FILETYPE value."""
    names = {reftype.upper()}
    suffix, filetype, _ext = REFTYPES.get(project, {}).get(instrument, {}).get(
        reftype, ("", "", ""))
    names |= {suffix.upper(), filetype.upper()} - {""}
    if project == "hst" and reftype.endswith(("file", "tab")):
        names.add(reftype[:-4].upper())
    return names


def _stated_types(file_type: str) -> set[str]:
    return {part.strip().upper() for part in re.split(r"[,;/]", file_type) if part.strip()}


def certify_delivery(project: str, instrument: str, file_type: str,
                     files: Sequence[CertifiedFile]) -> list[Finding]:
    """Findings about the delivery as a whole (consistency with the form, duplicates)."""
    findings: list[Finding] = []
    wanted_instrument = instrument.strip().lower()
    stated = _stated_types(file_type)
    first_by_sha1: dict[str, str] = {}
    first_by_case: dict[tuple, str] = {}
    for item in files:
        result = item.result
        if result.instrument and result.instrument != wanted_instrument:
            findings.append(error(item.name, f"this is a {result.instrument} reference, but the "
                                             f"manifest's form.instrument is {wanted_instrument}"))
        if result.instrument and result.reftype and stated and not (
                type_names(project, result.instrument, result.reftype) & stated):
            findings.append(warning(item.name, f"this is a {result.reftype} reference, but "
                                               f"form.file_type says '{file_type}'"))
        first = first_by_sha1.setdefault(item.sha1, item.name)
        if first != item.name:
            findings.append(error(item.name, f"bit-identical to {first} (same sha1): deliver "
                                             "each reference once"))
            continue
        if result.case is not None:
            key = (result.instrument, result.reftype, result.case)
            first = first_by_case.setdefault(key, item.name)
            if first != item.name:
                values = ", ".join(f"{k}={v}" for k, v in result.case)
                findings.append(warning(
                    item.name, f"same rmap case as {first} ({values}): in the rmap each would "
                               "replace the other; CRDS rejects that if the rmap matches on no "
                               "other keyword"))
    return findings
