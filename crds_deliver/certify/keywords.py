"""Required keywords and their formats, per project (certify-rules §2, §6).

These are the provenance rules every reference of a project shares; per-type value lists are
left to the `crds` package's own validators (deep.py). A blank or UNDEFINED value is missing.
"""

from __future__ import annotations

from crds_deliver.certify import dates
from crds_deliver.certify.findings import Finding, error, warning
from crds_deliver.certify.structure import Header


class _Checker:
    """Collects findings about one file's keywords, each located at the keyword's HDU."""

    def __init__(self, name: str, header: Header) -> None:
        self.name = name
        self.header = header
        self.findings: list[Finding] = []

    def require(self, key: str, why: str = "", *, warn: bool = False,
                alias: str | None = None) -> str | None:
        value = self.header.get(key)
        if value is None and alias:
            value = self.header.get(alias)
            key = alias if value is not None else key
        if value is None:
            make = warning if warn else error
            level = "suggested" if warn else "required"
            self.findings.append(make(self.name, f"missing {level} keyword {key}{why}",
                                      keyword=key))
            return None
        return str(value).strip()

    def fail(self, key: str, message: str, *, warn: bool = False) -> None:
        make = warning if warn else error
        self.findings.append(make(self.name, message, hdu=self.header.hdu_of(key), keyword=key))


def _telescope(check: _Checker, key: str, expected: str, required: bool) -> None:
    value = check.require(key) if required else check.header.get(key)
    if value is not None and str(value).strip().upper() != expected:
        check.fail(key, f"'{value}' is not {expected}: this file is not a {expected} reference")


def hst_keywords(name: str, header: Header, reftype: str | None) -> list[Finding]:
    """HST: USEAFTER in the Sybase form, PEDIGREE grammar, provenance keywords present."""
    check = _Checker(name, header)
    _telescope(check, "TELESCOP", "HST", required=False)
    if reftype != "oscntab":
        useafter = check.require("USEAFTER")
        if useafter is not None and (reason := dates.hst_useafter(useafter)):
            check.fail("USEAFTER", reason)
    pedigree = check.require("PEDIGREE", " (required by most HST reference types)", warn=True)
    if pedigree is not None and (reason := dates.pedigree(pedigree, "hst")):
        check.fail("PEDIGREE", reason)
    check.require("DESCRIP", " (required by many HST types, asked for by the form)", warn=True)
    synphot = reftype in ("thruput", "thermal", "tmttab", "tmgtab", "tmctab", "obsmodes")
    for key in ("COMMENT", "HISTORY"):
        check.require(key, "" if synphot else " (a provenance keyword)", warn=not synphot)
    return check.findings


def jwst_keywords(name: str, header: Header, reftype: str | None) -> list[Finding]:
    """JWST (all_all.tpn): TELESCOP, USEAFTER, PEDIGREE, AUTHOR, DESCRIP, HISTORY; DATAMODL."""
    check = _Checker(name, header)
    _telescope(check, "TELESCOP", "JWST", required=True)
    _common_jwst_roman(check, "jwst", {"USEAFTER": "USEAFTER", "PEDIGREE": "PEDIGREE",
                                       "AUTHOR": "AUTHOR", "DESCRIP": "DESCRIP",
                                       "HISTORY": "HISTORY"})
    if reftype and not reftype.startswith("pars-"):
        check.require("DATAMODL", " (the data model CRDS opens the file with)", warn=True)
    return check.findings


def roman_keywords(name: str, header: Header, reftype: str | None) -> list[Finding]:
    """Roman (ASDF roman.meta): telescope, useafter, pedigree, author, description, origin."""
    check = _Checker(name, header)
    _telescope(check, "ROMAN.META.TELESCOPE", "ROMAN", required=True)
    _common_jwst_roman(check, "roman", {k: f"ROMAN.META.{k}" for k in
                                        ("USEAFTER", "PEDIGREE", "AUTHOR", "DESCRIPTION",
                                         "ORIGIN")})
    return check.findings


def _common_jwst_roman(check: _Checker, project: str, keys: dict[str, str]) -> None:
    for role, key in keys.items():
        value = check.require(key)
        if value is None:
            continue
        if role == "USEAFTER":
            reason, only_warn = dates.jwst_useafter(value)
            if reason:
                check.fail(key, reason, warn=only_warn)
        elif role == "PEDIGREE" and (reason := dates.pedigree(value, project)):
            check.fail(key, reason)
