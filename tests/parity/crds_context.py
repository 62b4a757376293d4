"""A CRDS cache on disk for `crds certify` to run against offline: per project a pmap, one imap per
instrument and one rmap per reference type, the rmaps written from crds's own specs exactly as
the plan rebuilds them (crds_deliver/certify/offline_rmap.py). Context names: `<project>_9000.pmap`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from crds_deliver.certify.offline_rmap import mapping_text, rmap_text

PIPELINE_PARKEY = {"hst": "INSTRUME", "jwst": "META.INSTRUMENT.NAME",
                   "roman": "ROMAN.META.INSTRUMENT.NAME"}
INSTRUMENT_PARKEY = "REFTYPE"


def with_checksum(text: str) -> str:
    """`text` with its `sha1sum` header line set as CRDS computes it (every other line)."""
    kept = "".join(line for line in text.splitlines(True) if "sha1sum" not in line)
    digest = hashlib.sha1(kept.encode("utf-8")).hexdigest()
    return text.replace("header = {\n", f"header = {{\n    'sha1sum' : {digest!r},\n", 1)


def _selector(entries: dict[str, str]) -> str:
    return "{\n" + "".join(f"    {k.upper()!r} : {v!r},\n" for k, v in sorted(entries.items())) \
        + "}"


def write_context(cache: Path, project: str, types: Iterable[tuple[str, str]]) -> str:
    """Write `project`'s mappings for (instrument, filekind) `types` under `cache`; returns the
    pmap name to pass as `--comparison-context`."""
    folder = cache / "mappings" / project
    folder.mkdir(parents=True, exist_ok=True)
    by_instrument: dict[str, dict[str, str]] = {}
    for instrument, filekind in sorted(set(types)):
        name = f"{project}_{instrument}_{filekind}_9000.rmap"
        (folder / name).write_text(with_checksum(rmap_text(project, instrument, filekind, name)))
        by_instrument.setdefault(instrument, {})[filekind] = name
    imaps = {}
    for instrument, rmaps in by_instrument.items():
        name = f"{project}_{instrument}_9000.imap"
        header = {"mapping": "INSTRUMENT", "observatory": project.upper(), "name": name,
                  "instrument": instrument.upper(), "parkey": (INSTRUMENT_PARKEY,),
                  "derived_from": "crds-deliver parity suite"}
        (folder / name).write_text(with_checksum(mapping_text(header, _selector(rmaps))))
        imaps[instrument] = name
    pmap = f"{project}_9000.pmap"
    header = {"mapping": "PIPELINE", "observatory": project.upper(), "name": pmap,
              "parkey": (PIPELINE_PARKEY[project],), "derived_from": "crds-deliver parity suite"}
    (folder / pmap).write_text(with_checksum(mapping_text(header, _selector(imaps))))
    return pmap
