"""The sandbox's rules: the first context (bundled seed or a CRDS cache), pending rmaps of
submissions, and new contexts on confirm.

Mapping files on disk under `<data>/mappings/<obs>/` are the truth about rules (the server
hands them out as they are); the catalog records each with its sha1sum, size and a small
structure. Placing files uses the same engine as `plan` (crds_deliver.rules), so the
sandbox's outcome and plan's prediction cannot disagree by construction of two engines.
Serials: a pending submission's rmap is named from the confirmed files only; confirm names
the new rmaps, imaps and pmap afresh (next free serial), so only confirmed submissions use
serials up, as on the real server.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from crds_deliver.rules.context import ContextError, LoadedContext, load_context
from crds_deliver.rules.mapfile import MappingFile, dict_selector_text, read_mapping, render
from crds_deliver.rules.rmap import Rmap, UnsupportedRmap
from crds_deliver.sandbox import naming, seed
from crds_deliver.sandbox.catalog import LISTED, Catalog, sha1_of

Item = tuple[tuple[str, ...], str, str]  # (match values, useafter, reference name)


class Rules:
    """Reads and writes the sandbox's mapping files; the catalog says which exist."""

    def __init__(self, catalog: Catalog, mapping_dir: Path) -> None:
        self.catalog = catalog
        self.project = catalog.project
        self.mapping_dir = mapping_dir
        mapping_dir.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.mapping_dir / name

    def write(self, name: str, text: str, body: dict) -> None:
        """Write mapping `name` to disk and record it as delivered."""
        data = text.encode("utf-8")
        tmp = self.path(name).with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.path(name))
        self.catalog.add_file(name, "mapping", instrument=body.get("instrument", ""),
                              filekind=body.get("filekind", ""),
                              sha1sum=hashlib.sha1(data).hexdigest(), size=len(data),
                              body=body)

    def seed(self, references_dir: Path) -> None:
        """Create the bundled first context unless the sandbox has one."""
        if self.catalog.edit_context:
            return
        with self.catalog.transaction():
            for item in seed.seed_files(self.project):
                if item.body is None:
                    (references_dir / item.name).write_bytes(item.data)
                    self.catalog.add_file(item.name, "reference", instrument=item.instrument,
                                          filekind=item.filekind, sha1sum=item.sha1,
                                          size=len(item.data), description="sandbox seed")
                    continue
                self.path(item.name).write_bytes(item.data)
                self.catalog.add_file(item.name, "mapping", instrument=item.instrument,
                                      filekind=item.filekind, sha1sum=item.sha1,
                                      size=len(item.data), body=item.body)
            pmap = seed.seed_files(self.project)[-1].name
            self.catalog.add_context(pmap, "sandbox seed context")
            self.catalog.set_meta("operational_context", pmap)

    def seed_from_cache(self, references_dir: Path, cache: Path, spec: str | None) -> str:
        """Start from context `spec` of a CRDS cache: its mappings as they are, the references
        the cache holds, and every other name its rmaps use (so serials continue from them).

        The whole context is read and checked first (ContextError names a missing or
        unparsable file), then written in one transaction: the sandbox never starts with half
        a context. Returns the pmap.
        """
        if self.catalog.edit_context:
            raise ContextError(f"the sandbox already holds context {self.catalog.edit_context}; "
                               "seed from a cache into a new --data folder")
        context = load_context(cache, self.project, spec)
        held = _held_references(cache, self.project)
        with self.catalog.transaction():
            for name, mapping in sorted(context.mappings.items()):
                self.path(name).write_text(mapping.text, encoding="utf-8")
                data = mapping.text.encode("utf-8")
                body, instrument, kind = _body(mapping)
                body.pop("references", None)
                self.catalog.add_file(name, "mapping", instrument=instrument, filekind=kind,
                                      sha1sum=hashlib.sha1(data).hexdigest(), size=len(data),
                                      body=body, description=f"seeded from {cache}")
            for name, mapping in sorted(context.mappings.items()):
                if not name.endswith(".rmap"):
                    continue
                _body_, instrument, kind = _body(mapping)
                for reference in _body_.get("references", []):
                    if self.catalog.file(reference) is not None:
                        continue
                    source = held.get(reference)
                    if source is None:  # named by the rules, bytes not in the cache
                        self.catalog.add_file(reference, "reference", instrument=instrument,
                                              filekind=kind, state=LISTED)
                        continue
                    shutil.copyfile(source, references_dir / reference)
                    data_sha1 = sha1_of(source)
                    self.catalog.add_file(reference, "reference", instrument=instrument,
                                          filekind=kind, sha1sum=data_sha1,
                                          size=source.stat().st_size,
                                          description=f"seeded from {cache}")
            self.catalog.add_context(context.pmap, f"seeded from {cache}")
            self.catalog.set_meta("operational_context", context.pmap)
        return context.pmap

    # --- reading --------------------------------------------------------------------------

    def mapping(self, name: str) -> MappingFile:
        return read_mapping(self.path(name))

    def context(self, pmap: str, wanted: set[tuple[str, str]]) -> LoadedContext:
        """`pmap` with its imaps and the rmaps of the (instrument, filekind) pairs wanted."""
        mappings = {pmap: self.mapping(pmap)}
        loaded = LoadedContext(self.project, pmap, mappings)
        for instrument, kind in wanted:
            imap = loaded.imap_for(instrument)
            if imap is None:
                continue
            mappings.setdefault(imap, self.mapping(imap))
            rmap = loaded.rmap_for(instrument, kind)
            if rmap is not None:
                mappings.setdefault(rmap, self.mapping(rmap))
        return loaded

    def rmap_of(self, context: str, instrument: str, filekind: str) -> str | None:
        return self.context(context, {(instrument, filekind)}).rmap_for(instrument, filekind)

    def _taken(self) -> list[str]:
        return self.catalog.all_names()

    # --- submissions and confirm ----------------------------------------------------------

    def pending_rmap(self, old_rmap: str, items: list[Item]) -> tuple[str, str]:
        """(name, text) of `old_rmap` with `items` inserted; nothing is recorded (a pending
        rmap uses no serial: confirm names it again)."""
        rmap = Rmap.from_mapping(self.mapping(old_rmap))
        new, _done = rmap.insert(items)
        stem, ext = naming.family(old_rmap) or (old_rmap.rsplit(".", 1)[0], "rmap")
        name = naming.next_name(stem, ext, self._taken())
        return name, new.text(name, old_rmap)

    def commit(self, changes: dict[str, list[Item]], description: str
               ) -> tuple[str, dict[str, str]]:
        """Insert each rmap's items into the current edit context: new rmaps, imaps and pmap
        under the next free serials, edit and operational context moved to the new pmap.

        `changes` maps the rmap each file was placed in (in the derive-from context) to its
        items; the rmap of the same type in the current edit context receives them, so a
        delivery confirmed after another one builds on it, as the real server regenerates
        rules against its current edit context. Returns the new pmap and {old: new} names.
        """
        obs = self.project
        with self.catalog.transaction():
            edit = self.catalog.edit_context
            pmap_file = self.mapping(edit)
            imaps = pmap_file.children()
            renamed: dict[str, str] = {}
            new_rmaps: dict[str, dict[str, str]] = {}  # instrument -> {kind: new rmap}
            for placed_in, items in sorted(changes.items()):
                instrument = self.catalog.file(placed_in)["instrument"]
                kind = self.catalog.file(placed_in)["filekind"]
                current = self.rmap_of(edit, instrument, kind) or placed_in
                rmap, _done = Rmap.from_mapping(self.mapping(current)).insert(items)
                stem, ext = naming.family(current) or (current.rsplit(".", 1)[0], "rmap")
                name = naming.next_name(stem, ext, self._taken())
                self.write(name, rmap.text(name, current), seed.rmap_body(instrument, kind, rmap))
                renamed[current] = name
                new_rmaps.setdefault(instrument, {})[kind] = name
            for instrument, kinds in sorted(new_rmaps.items()):
                old_imap = imaps[instrument]
                imap_file = self.mapping(old_imap)
                rmaps = dict(imap_file.children(), **kinds)
                name = naming.next_name(f"{obs}_{instrument}", "imap", self._taken())
                self.write(name, _with_children(imap_file, name, old_imap, rmaps),
                           {"instrument": instrument, "rmaps": rmaps})
                renamed[old_imap] = imaps[instrument] = name
            pmap = naming.next_name(obs, "pmap", self._taken())
            self.write(pmap, _with_children(pmap_file, pmap, edit, imaps), {"imaps": imaps})
            renamed[edit] = pmap
            self.catalog.add_context(pmap, description)
            self.catalog.set_meta("operational_context", pmap)
        return pmap, renamed


def _held_references(cache: Path, project: str) -> dict[str, Path]:
    """{name: path} of the references a cache holds (flat or per-instrument layout)."""
    folder = cache / "references" / project
    if not folder.is_dir():
        return {}
    return {path.name: path for path in sorted(folder.rglob("*")) if path.is_file()}


def _body(mapping: MappingFile) -> tuple[dict, str, str]:
    """(catalog structure, instrument, filekind) of a mapping read from a cache."""
    header = mapping.header
    instrument = str(header.get("instrument", "")).lower()
    kind = str(header.get("filekind", "")).lower()
    if mapping.kind == "pmap":
        return {"imaps": mapping.children()}, "", ""
    if mapping.kind == "imap":
        return {"instrument": instrument, "rmaps": mapping.children()}, instrument, ""
    try:
        rmap = Rmap.from_mapping(mapping)
    except UnsupportedRmap:  # served as is; its references are not listed
        return {"instrument": instrument, "filekind": kind, "entries": []}, instrument, kind
    body = seed.rmap_body(instrument, kind, rmap)
    body["references"] = rmap.references()
    return body, instrument, kind


def _with_children(old: MappingFile, name: str, derived_from: str,
                   children: dict[str, str]) -> str:
    """A pmap or imap like `old` (same header, 'N/A' entries kept) with new children."""
    assert isinstance(old.selector, dict)
    entries = {str(key).lower(): str(value) for key, value in old.selector.items()}
    entries.update(children)
    header = dict(old.header, name=name, derived_from=derived_from)
    header.pop("sha1sum", None)
    return render(header, dict_selector_text(entries))
