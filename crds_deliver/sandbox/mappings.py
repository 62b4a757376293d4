"""CRDS rules files (pmap, imap, rmap) as data, and their text in CRDS's mapping syntax.

The crds client downloads a context's rules and loads them (crds.rmap.load_mapping) to certify
files locally before submitting; so the sandbox's rules must be real mapping files: a `header`
dict with a correct `sha1sum` (SHA-1 of the text without the sha1sum line) and a `selector`.
Rules are kept as plain dicts in the catalog and rendered here; references go into rmaps under
a Match on the detector (JWST: and subarray) and a UseAfter date, which is enough to tell apart
the files of typical deliveries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Per project: the pmap's selector key, and the rmap's (match keys, use-after keys).
_PIPELINE_PARKEY = {
    "hst": "INSTRUME",
    "jwst": "META.INSTRUMENT.NAME",
    "roman": "ROMAN.META.INSTRUMENT.NAME",
}
_RMAP_PARKEY = {
    "hst": (("DETECTOR",), ("DATE-OBS", "TIME-OBS")),
    "jwst": (("META.INSTRUMENT.DETECTOR", "META.SUBARRAY.NAME"),
             ("META.OBSERVATION.DATE", "META.OBSERVATION.TIME")),
    "roman": (("ROMAN.META.INSTRUMENT.DETECTOR",), ("ROMAN.META.EXPOSURE.START_TIME",)),
}

# Rules the initial context holds: per project, instrument -> reference types. Enough for the
# example deliveries (JWST MIRI dark, HST ACS/WFC3 darks, Roman WFI dark) and their neighbours.
SEED_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "hst": {"acs": ("biasfile", "darkfile", "pfltfile"), "cos": ("deadtab", "flatfile"),
            "stis": ("biasfile", "darkfile"), "wfc3": ("biasfile", "darkfile", "pfltfile")},
    "jwst": {"fgs": ("dark", "flat"), "miri": ("dark", "flat", "gain", "readnoise"),
             "nircam": ("dark", "flat", "gain"), "niriss": ("dark", "flat"),
             "nirspec": ("dark", "flat")},
    "roman": {"wfi": ("dark", "flat", "gain", "readnoise")},
}


@dataclass(frozen=True)
class Entry:
    """One reference in an rmap: its match values, use-after date and file name."""

    match: tuple[str, ...]
    useafter: str  # 'YYYY-MM-DD HH:MM:SS'
    filename: str

    def to_list(self) -> list:
        return [list(self.match), self.useafter, self.filename]

    @classmethod
    def from_list(cls, data: list) -> Entry:
        return cls(tuple(data[0]), data[1], data[2])


def checksum(text: str) -> str:
    """CRDS's mapping checksum: SHA-1 over every line except the one holding `sha1sum`."""
    kept = "".join(line for line in text.splitlines(True) if "sha1sum" not in line)
    return hashlib.sha1(kept.encode("utf-8")).hexdigest()


def _render_final(header: dict, selector: str) -> str:
    lines = ["header = {"]
    lines += [f"    {key!r} : {header[key]!r}," for key in sorted(header)]
    lines += ["}", "", f"selector = {selector}"]
    return "\n".join(lines) + "\n"


def _with_checksum(header: dict, selector: str) -> str:
    draft = _render_final(dict(header, sha1sum="X"), selector)
    return _render_final(dict(header, sha1sum=checksum(draft)), selector)


def pmap_text(project: str, name: str, imaps: dict[str, str], derived_from: str) -> str:
    header = {"mapping": "PIPELINE", "observatory": project.upper(), "name": name,
              "parkey": (_PIPELINE_PARKEY[project],), "derived_from": derived_from}
    body = "".join(f"    {instr.upper()!r} : {imaps[instr]!r},\n" for instr in sorted(imaps))
    return _with_checksum(header, "{\n" + body + "}")


def imap_text(project: str, name: str, instrument: str, rmaps: dict[str, str],
              derived_from: str) -> str:
    header = {"mapping": "INSTRUMENT", "observatory": project.upper(), "name": name,
              "instrument": instrument.upper(), "parkey": ("REFTYPE",),
              "derived_from": derived_from}
    body = "".join(f"    {kind.upper()!r} : {rmaps[kind]!r},\n" for kind in sorted(rmaps))
    return _with_checksum(header, "{\n" + body + "}")


def rmap_text(project: str, name: str, instrument: str, filekind: str, entries: list[Entry],
              derived_from: str, file_ext: str) -> str:
    header = {"mapping": "REFERENCE", "observatory": project.upper(), "name": name,
              "instrument": instrument.upper(), "filekind": filekind.upper(),
              "parkey": _RMAP_PARKEY[project], "classes": ("Match", "UseAfter"),
              "derived_from": derived_from, "file_ext": file_ext}
    by_match: dict[tuple[str, ...], list[Entry]] = {}
    for entry in entries:
        by_match.setdefault(entry.match, []).append(entry)
    body = ""
    for match in sorted(by_match):
        body += f"    {match!r} : UseAfter({{\n"
        for entry in sorted(by_match[match], key=lambda e: e.useafter):
            body += f"        {entry.useafter!r} : {entry.filename!r},\n"
        body += "    }),\n"
    return _with_checksum(header, "Match({\n" + body + "})")


def replaced(entries: list[Entry], added: list[Entry]) -> list[tuple[str, str]]:
    """(old file, new file) pairs where an added entry takes the slot of an existing one."""
    slots = {(e.match, e.useafter): e.filename for e in entries}
    pairs = []
    for entry in added:
        old = slots.get((entry.match, entry.useafter))
        if old is not None:
            pairs.append((old, entry.filename))
        slots[(entry.match, entry.useafter)] = entry.filename
    return pairs


def merge(entries: list[Entry], added: list[Entry]) -> list[Entry]:
    """`entries` with `added` inserted; an added entry replaces one with the same match+date."""
    slots = {(e.match, e.useafter): e for e in entries}
    for entry in added:
        slots[(entry.match, entry.useafter)] = entry
    return list(slots.values())
