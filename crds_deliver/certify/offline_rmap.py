"""The rmap a reference type would be inserted into, built offline from the `crds` package's specs.

`crds certify` reads the type's rmap from the context for three things: which optional keywords
become required (the rmap's match parameters), how reference keywords translate to dataset
keywords (USEAFTER to DATE-OBS, JWST pattern keywords) and, for JWST, the type for the
datamodel check. A plan has no context (it never calls a server), so the rmap is rebuilt from the
type's spec, which is what CRDS itself starts a new rmap from. The parity test suite seeds its
`crds certify` cache with the same text, so both sides certify against the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping

# The dataset keywords a UseAfter selector matches on, per project (certify-rules §2).
USEAFTER_PARKEYS = {"hst": ("DATE-OBS", "TIME-OBS"),
                    "jwst": ("META.OBSERVATION.DATE", "META.OBSERVATION.TIME"),
                    "roman": ("ROMAN.META.EXPOSURE.START_TIME",)}
# HST spec fields an rmap header carries, upper-cased as in the real rmaps.
_HST_UPPER = ("reffile_format", "reffile_required", "reffile_switch")


def _parkey(project: str, spec: Mapping[str, object]) -> tuple[tuple[str, ...], ...]:
    raw = spec.get("parkey") or ()
    if project == "hst" or (raw and isinstance(raw[0], str)):  # type: ignore[index]
        return (tuple(str(k) for k in raw), USEAFTER_PARKEYS[project])  # type: ignore[union-attr]
    groups = tuple(tuple(str(k) for k in group) for group in raw)  # type: ignore[union-attr]
    return groups if len(groups) > 1 else (*groups, USEAFTER_PARKEYS[project])


def rmap_header(project: str, instrument: str, filekind: str, spec: Mapping[str, object],
                name: str) -> dict[str, object]:
    """The header of an empty rmap for the type whose spec (crds unified_defs) is `spec`."""
    header: dict[str, object] = {
        "mapping": "REFERENCE", "observatory": project.upper(), "name": name,
        "instrument": instrument.upper(), "filekind": filekind.upper(),
        "parkey": _parkey(project, spec), "classes": ("Match", "UseAfter"),
        "derived_from": "crds-deliver offline rules",
        "file_ext": str(spec.get("file_ext") or ".fits"),
    }
    if project == "hst":
        header["extra_keys"] = tuple(str(k).upper() for k in spec.get("extra_keys") or ())
        for key in _HST_UPPER:
            if spec.get(key):
                header[key] = str(spec[key]).upper()
        for key in ("rmap_relevance", "parkey_relevance"):
            if spec.get(key):
                header[key] = spec[key]
    elif spec.get("substitutions"):
        header["substitutions"] = spec["substitutions"]
    return header


def mapping_text(header: Mapping[str, object], selector: str) -> str:
    """A mapping file's text in CRDS syntax (the sha1sum line is left for the caller)."""
    lines = ["header = {"]
    lines += [f"    {key!r} : {header[key]!r}," for key in sorted(header)]
    lines += ["}", "", f"selector = {selector}"]
    return "\n".join(lines) + "\n"


def rmap_text(project: str, instrument: str, filekind: str, name: str) -> str:
    """The text of an empty rmap `name` for (instrument, filekind), from crds's installed specs."""
    from crds.core import reftypes

    spec = reftypes.get_types_object(project).unified_defs[instrument][filekind]
    return mapping_text(rmap_header(project, instrument, filekind, spec, name), "Match({\n})")
