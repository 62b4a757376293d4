"""Which instrument and reference type a file is, decided the way CRDS decides it.

CRDS trusts a decodable file name over the header (HST CDBS names, `<project>_<instr>_<type>`
names), so a name that disagrees with the header makes CRDS apply the wrong rules. Preflight
takes the same decision and reports the disagreement as an error instead of letting it through.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crds_deliver.certify._reftypes import REFTYPES
from crds_deliver.certify.findings import Finding, error
from crds_deliver.certify.names import decode_name
from crds_deliver.certify.structure import Header
from crds_deliver.projects import PROJECTS

# Header keywords naming the instrument and the type, in the order CRDS looks at them.
INSTRUMENT_KEYS = {"hst": ("INSTRUME",),
                   "jwst": ("INSTRUME", "META.INSTRUMENT.NAME"),
                   "roman": ("ROMAN.META.INSTRUMENT.NAME", "META.INSTRUMENT.NAME", "INSTRUME")}
TYPE_KEYS = {"hst": ("FILETYPE", "DBTABLE", "CDBSFILE"),
             "jwst": ("REFTYPE", "META.REFTYPE"),
             "roman": ("ROMAN.META.REFTYPE", "META.REFTYPE", "REFTYPE")}


@dataclass
class Identity:
    instrument: str | None
    reftype: str | None
    findings: list[Finding] = field(default_factory=list)


def _first(header: Header, keys: tuple[str, ...]) -> tuple[str | None, str | None]:
    for key in keys:
        value = header.get(key)
        if value is not None:
            return key, str(value).strip()
    return None, None


def _header_instrument(header: Header, project: str) -> tuple[str | None, str | None]:
    key, value = _first(header, INSTRUMENT_KEYS[project])
    if value is None:
        return key, None
    instrument = value.lower()
    if project == "hst":
        instrument = {"hst": "synphot", "wfii": "wfpc2"}.get(instrument, instrument)
        dbtable = header.get("DBTABLE")
        if dbtable is not None and str(dbtable).strip().upper() != "IMPHTTAB":
            instrument = "synphot"
    return key, instrument


def _kind_of(project: str, instrument: str, value: str) -> str | None:
    """The type whose FILETYPE (HST) or name (JWST, Roman) is `value`, case-insensitively."""
    wanted = value.strip().upper()
    for kind, (_suffix, filetype, _ext) in REFTYPES[project].get(instrument, {}).items():
        if (filetype if project == "hst" else kind.upper()) == wanted:
            return kind
    return None


def identify_header(name: str, header: Header | None, project: str,
                    shown: str | None = None) -> Identity:
    """Identify from the name first, then the header; findings say what disagrees or lacks.

    `header` is None when the file could not be read: then only the name is used, silently.
    `name` is the file's basename (what CRDS decodes); `shown` names it in findings.
    """
    basename, name = name, shown or name
    found = Identity(None, None)
    prefix = basename.lower().split("_", 1)[0]
    if prefix in PROJECTS and prefix != project:
        found.findings.append(error(name, f"the file name says it is a {prefix.upper()} "
                                          "reference, but this delivery goes to "
                                          f"{project.upper()}"))
        return found
    name_instr, name_kind = decode_name(basename, project)
    if header is None:  # unreadable: the name is all there is, the reason is reported already
        found.instrument, found.reftype = name_instr, name_kind
        return found
    head = header
    instr_key, head_instr = _header_instrument(head, project)
    type_key, head_type = _first(head, TYPE_KEYS[project])
    types = REFTYPES[project]

    if name_instr and not name_kind:
        found.findings.append(error(name, f"the file name says instrument {name_instr} but its "
                                          f"type part is not a known {name_instr} reference type"))
        return found
    if name_instr and name_kind:
        found.instrument, found.reftype = name_instr, name_kind
        if head_instr is not None and head_instr != name_instr:
            found.findings.append(error(
                name, f"the file name makes CRDS treat this as a {name_instr} {name_kind} "
                      f"reference, but {instr_key} says {head_instr}",
                hdu=head.hdu_of(instr_key or ""), keyword=instr_key))
        if head_type is not None and head_instr in (None, name_instr):
            head_kind = _kind_of(project, name_instr, head_type)
            if head_kind != name_kind:
                found.findings.append(error(
                    name, f"the file name makes CRDS treat this as a {name_kind} reference, but "
                          f"{type_key} is '{head_type}'", hdu=head.hdu_of(type_key or ""),
                    keyword=type_key))
        return found

    if head_instr is None:
        keys = " or ".join(INSTRUMENT_KEYS[project])
        found.findings.append(error(name, f"cannot determine the instrument: {keys} is missing "
                                          "and the file name does not say",
                                    keyword=INSTRUMENT_KEYS[project][0]))
        return found
    if head_instr not in types:
        found.findings.append(error(
            name, f"{instr_key} '{head_instr.upper()}' is not a {project.upper()} instrument "
                  f"({', '.join(sorted(types))})", hdu=head.hdu_of(instr_key or ""),
            keyword=instr_key))
        return found
    found.instrument = head_instr
    if head_type is None:
        found.findings.append(error(name, f"cannot determine the reference type: "
                                          f"{' or '.join(TYPE_KEYS[project])} is missing",
                                    keyword=TYPE_KEYS[project][0]))
        return found
    found.reftype = _kind_of(project, head_instr, head_type)
    if found.reftype is None:
        found.findings.append(error(
            name, f"{type_key} '{head_type}' is not a reference type of {project.upper()} "
                  f"{head_instr}", hdu=head.hdu_of(type_key or ""), keyword=type_key))
    return found
