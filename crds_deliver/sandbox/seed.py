"""The bundled starting context of a fresh sandbox: every instrument and reference type, with
rmaps that match on each type's real match keywords and one reference in each.

Types and match keywords come from the tables of certify/ (generated from the crds specs), so
a delivery lands next to (or replaces) a seed reference exactly as the crds rules would place
it. Seed references are small: a FITS primary header (or an ASDF / JSON / text stub) carrying
the type's identity, USEAFTER 2020-01-01 and "N/A" for every match keyword, except the types of
seed_refs.py (the MIRI dark of the CRDS developer notebook, the WFC3 bias): complete little
files that pass crds's own certify, so a rehearsal can download one and submit it again. The
rmaps file every seed under the "N/A" case. HST seeds have CDBS-style names, as HST references
do. The whole seed is built once per process and copied into each new sandbox.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass

from crds_deliver.certify._parkeys import PARKEYS
from crds_deliver.certify._reftypes import REFTYPES
from crds_deliver.certify.matching import JWST_FITS_NAMES
from crds_deliver.projects import INSTRUMENTS
from crds_deliver.rules.mapfile import dict_selector_text, render
from crds_deliver.rules.rmap import Rmap
from crds_deliver.sandbox import naming, seed_refs
from crds_deliver.sandbox.fits_writer import Value, card, header_bytes

SEED_USEAFTER = "2020-01-01 00:00:00"
SEED_TIME = dt.datetime(2020, 1, 1, 0, 0, 0)
_USEAFTER_PARKEYS = {
    "hst": ("DATE-OBS", "TIME-OBS"),
    "jwst": ("META.OBSERVATION.DATE", "META.OBSERVATION.TIME"),
    "roman": ("ROMAN.META.EXPOSURE.START_TIME",),
}
PIPELINE_PARKEY = {"hst": "INSTRUME", "jwst": "META.INSTRUMENT.NAME",
                   "roman": "ROMAN.META.INSTRUMENT.NAME"}


@dataclass(frozen=True)
class SeedFile:
    """One file of the seed: its name, bytes, and catalog identity."""

    name: str
    data: bytes
    instrument: str = ""
    filekind: str = ""
    body: dict | None = None  # mapping structure for the catalog (None for references)

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.data).hexdigest()


def fits_bytes(keywords: dict[str, Value]) -> bytes:
    """A header-only FITS file (primary HDU, no data) holding `keywords`."""
    cards = [card("SIMPLE", True), card("BITPIX", 8), card("NAXIS", 0), card("EXTEND", True)]
    return header_bytes(cards + [card(key, value) for key, value in keywords.items()])


def _asdf_bytes(meta: dict[str, str]) -> bytes:
    lines = ["#ASDF 1.0.0", "#ASDF_STANDARD 1.5.0", "%YAML 1.1", "%TAG ! tag:stsci.edu:asdf/",
             "--- !core/asdf-1.1.0", "roman:", "  meta:"]
    lines += [f"    {key}: {value!r}" for key, value in meta.items()]
    return ("\n".join(lines) + "\n...\n").encode("ascii")


def _fits_name(key: str) -> str:
    return JWST_FITS_NAMES.get(key, key.rsplit(".", 1)[-1][:8])


def _reference(project: str, instrument: str, kind: str, name: str, ext: str,
               match_keys: tuple[str, ...]) -> bytes:
    suffix, filetype, _ext = REFTYPES[project][instrument][kind]
    if ext == ".asdf" and project == "roman":
        meta = {"reftype": kind.upper(), "useafter": "2020-01-01T00:00:00",
                "pedigree": "DUMMY", "description": f"sandbox seed {kind}",
                "author": "crds-deliver sandbox", "telescope": "ROMAN"}
        return _asdf_bytes(meta)
    if ext not in (".fits", ".asdf"):
        return (f"# crds-deliver sandbox seed {project} {instrument} {kind} ({name})\n"
                ).encode("ascii")
    keywords: dict[str, Value] = {
        "TELESCOP": project.upper(), "INSTRUME": instrument.upper(),
        "USEAFTER": "2020-01-01T00:00:00" if project != "hst" else "Jan 01 2020 00:00:00",
        "PEDIGREE": "DUMMY", "DESCRIP": f"sandbox seed {kind}",
        "AUTHOR": "crds-deliver sandbox"}
    keywords["FILETYPE" if project == "hst" else "REFTYPE"] = \
        filetype if project == "hst" else kind.upper()
    real = seed_refs.real_reference(project, instrument, kind, keywords)
    if real is not None:
        return real
    for key in match_keys:
        keywords.setdefault(_fits_name(key), "N/A")
    return fits_bytes(keywords)


def _reference_name(project: str, instrument: str, kind: str, ext: str) -> str:
    if project == "hst" and instrument in naming.HST_ID_CHARS and ext == ".fits":
        suffix = REFTYPES[project][instrument][kind][0]
        return naming.cdbs_name(instrument, suffix, ext, SEED_TIME)
    return f"{naming.reference_stem(project, instrument, kind)}_0001{ext}"


def rmap_header(project: str, instrument: str, kind: str, match_keys: tuple[str, ...],
                ext: str) -> dict:
    """The header of a new rmap for a reference type (as the real server's rmaps have)."""
    return {"mapping": "REFERENCE", "observatory": project.upper(),
            "instrument": instrument.upper(), "filekind": kind.upper(),
            "parkey": (match_keys, _USEAFTER_PARKEYS[project]),
            "classes": ("Match", "UseAfter"), "file_ext": ext}


@functools.cache
def seed_files(project: str) -> tuple[SeedFile, ...]:
    """References, rmaps, imaps and the pmap of the bundled first context (pmap last)."""
    files: list[SeedFile] = []
    imaps: dict[str, str] = {}
    for instrument in INSTRUMENTS[project]:
        kinds = PARKEYS[project].get(instrument, {})
        if not kinds:
            continue
        rmaps: dict[str, str] = {}
        for kind, match_keys in sorted(kinds.items()):
            ext = REFTYPES[project][instrument].get(kind, ("", "", ".fits"))[2]
            ref = _reference_name(project, instrument, kind, ext)
            files.append(SeedFile(ref, _reference(project, instrument, kind, ref, ext,
                                                  match_keys), instrument, kind))
            rmap = Rmap("", rmap_header(project, instrument, kind, match_keys, ext),
                        {tuple("N/A" for _ in match_keys): {SEED_USEAFTER: ref}})
            name = f"{naming.reference_stem(project, instrument, kind)}_0001.rmap"
            files.append(SeedFile(name, rmap.text(name, "sandbox seed").encode(), instrument,
                                  kind, rmap_body(instrument, kind, rmap)))
            rmaps[kind] = name
        imap = f"{project}_{instrument}_0001.imap"
        files.append(SeedFile(imap, imap_text(project, imap, instrument, rmaps,
                                              "sandbox seed").encode(), instrument, "",
                              {"instrument": instrument, "rmaps": rmaps}))
        imaps[instrument] = imap
    pmap = f"{project}_0001.pmap"
    files.append(SeedFile(pmap, pmap_text(project, pmap, imaps, "sandbox seed").encode(),
                          body={"imaps": imaps}))
    return tuple(files)


def rmap_body(instrument: str, kind: str, rmap: Rmap) -> dict:
    """The catalog's structure of an rmap: identity and its entries (for reference lists)."""
    entries = [[list(match), date, name] for match, dates in sorted(rmap.cases.items())
               for date, name in sorted(dates.items())]
    return {"instrument": instrument, "filekind": kind, "entries": entries}


def pmap_text(project: str, name: str, imaps: dict[str, str], derived_from: str) -> str:
    header = {"mapping": "PIPELINE", "observatory": project.upper(), "name": name,
              "parkey": (PIPELINE_PARKEY[project],), "derived_from": derived_from}
    return render(header, dict_selector_text(imaps))


def imap_text(project: str, name: str, instrument: str, rmaps: dict[str, str],
              derived_from: str) -> str:
    header = {"mapping": "INSTRUMENT", "observatory": project.upper(), "name": name,
              "instrument": instrument.upper(), "parkey": ("REFTYPE",),
              "derived_from": derived_from}
    return render(header, dict_selector_text(rmaps))
