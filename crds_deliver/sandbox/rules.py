"""The sandbox's rules: the seeded first context, new rmaps for submissions, new contexts on
confirm. Each mapping is written both as a catalog row (structure, sha1sum, size) and as a
real CRDS mapping file under `<data>/mappings/<obs>/`, which the server hands out to clients.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from crds_deliver.sandbox import mappings, naming
from crds_deliver.sandbox.catalog import DELIVERED, SUBMITTED, Catalog

_EXT = {"hst": ".fits", "jwst": ".fits", "roman": ".asdf"}


class Rules:
    """Creates and changes mapping files; the catalog holds the truth about which exist."""

    def __init__(self, catalog: Catalog, mapping_dir: Path) -> None:
        self.catalog = catalog
        self.project = catalog.project
        self.mapping_dir = mapping_dir
        mapping_dir.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.mapping_dir / name

    def _text(self, name: str, body: dict, derived_from: str) -> str:
        if name.endswith(".pmap"):
            return mappings.pmap_text(self.project, name, body["imaps"], derived_from)
        if name.endswith(".imap"):
            return mappings.imap_text(self.project, name, body["instrument"], body["rmaps"],
                                      derived_from)
        entries = [mappings.Entry.from_list(e) for e in body["entries"]]
        return mappings.rmap_text(self.project, name, body["instrument"], body["filekind"],
                                  entries, derived_from, body["file_ext"])

    def write(self, name: str, body: dict, derived_from: str, *, state: str = DELIVERED,
              submission_id: str = "", replace: bool = False) -> None:
        """Render `name` to disk and record it (or, with replace, update its record)."""
        text = self._text(name, body, derived_from)
        data = text.encode("utf-8")
        tmp = self.path(name).with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.path(name))
        fields = dict(sha1sum=hashlib.sha1(data).hexdigest(), size=len(data), body=body)
        if replace:
            self.catalog.update_file(name, **fields)
        else:
            self.catalog.add_file(name, "mapping", instrument=body.get("instrument", ""),
                                  filekind=body.get("filekind", ""), state=state,
                                  submission_id=submission_id, **fields)

    def seed(self) -> None:
        """Create the first context (empty rmaps for the seeded types) unless one exists."""
        if self.catalog.edit_context:
            return
        obs = self.project
        imaps = {}
        with self.catalog.transaction():
            for instrument, kinds in mappings.SEED_TYPES[obs].items():
                rmaps = {}
                for kind in kinds:
                    rmap = f"{obs}_{instrument}_{kind}_0001.rmap"
                    self.write(rmap, {"instrument": instrument, "filekind": kind,
                                      "entries": [], "file_ext": _EXT[obs]}, "sandbox seed")
                    rmaps[kind] = rmap
                imaps[instrument] = f"{obs}_{instrument}_0001.imap"
                self.write(imaps[instrument], {"instrument": instrument, "rmaps": rmaps},
                           "sandbox seed")
            pmap = f"{obs}_0001.pmap"
            self.write(pmap, {"imaps": imaps}, "sandbox seed")
            self.catalog.add_context(pmap, "sandbox seed context")
            self.catalog.set_meta("operational_context", pmap)

    def rmap_of(self, context: str, instrument: str, filekind: str) -> str | None:
        imap = self.catalog.mapping_body(context)["imaps"].get(instrument)
        if imap is None:
            return None
        return self.catalog.mapping_body(imap)["rmaps"].get(filekind)

    def derive_rmap(self, old_rmap: str, added: list[mappings.Entry],
                    submission_id: str) -> str:
        """Write a pending rmap = `old_rmap` plus `added`, under the next free rmap name."""
        body = self.catalog.mapping_body(old_rmap)
        stem, ext = naming.family(old_rmap) or (old_rmap.rsplit(".", 1)[0], "rmap")
        new = naming.next_name(stem, ext, self.catalog.all_names())
        entries = mappings.merge([mappings.Entry.from_list(e) for e in body["entries"]], added)
        self.write(new, dict(body, entries=[e.to_list() for e in entries]), old_rmap,
                   state=SUBMITTED, submission_id=submission_id)
        return new

    def new_rmap(self, instrument: str, filekind: str, file_ext: str, added: list[mappings.Entry],
                 submission_id: str) -> str:
        """Write a pending rmap for a reference type the context has no rules for yet."""
        stem = naming.reference_stem(self.project, instrument, filekind)
        name = naming.next_name(stem, "rmap", self.catalog.all_names())
        self.write(name, {"instrument": instrument, "filekind": filekind,
                          "entries": [e.to_list() for e in added], "file_ext": file_ext},
                   "new reference type", state=SUBMITTED, submission_id=submission_id)
        return name

    def commit(self, rmaps: dict[str, dict], description: str) -> tuple[str, dict[str, str]]:
        """Make the pending rmaps of a submission part of a new edit context.

        `rmaps` maps each new rmap name to {"derived_from" (None for a new type), "added"}. An
        rmap whose parent is no longer in the edit context (another delivery changed it
        meanwhile) is rebuilt on the current one, as the real server regenerates rules against
        the current edit context. Returns the new pmap and {old mapping: new mapping} for the
        pmap, imaps and rmaps that replace an older one.
        """
        obs = self.project
        with self.catalog.transaction():
            edit = self.catalog.edit_context
            renamed: dict[str, str] = {}
            imaps = dict(self.catalog.mapping_body(edit)["imaps"])
            new_imaps: dict[str, str] = {}  # instrument -> imap written by this commit
            for new_rmap, info in sorted(rmaps.items()):
                body = self.catalog.mapping_body(new_rmap)
                instrument, kind = body["instrument"], body["filekind"]
                current = self.rmap_of(edit, instrument, kind) or info["derived_from"]
                if current != info["derived_from"]:
                    new_rmap = self._rebase(new_rmap, body, current, info["added"])
                else:
                    self.catalog.update_file(new_rmap, state=DELIVERED)
                if current:
                    renamed[current] = new_rmap
                old_imap = imaps.get(instrument)
                base_imap = new_imaps.get(instrument, old_imap)  # this commit's imap, if any
                imap_body = (self.catalog.mapping_body(base_imap) if base_imap
                             else {"instrument": instrument, "rmaps": {}})
                imap_body = dict(imap_body, rmaps=dict(imap_body["rmaps"], **{kind: new_rmap}))
                if instrument in new_imaps:
                    self.write(new_imaps[instrument], imap_body, old_imap or "new instrument",
                               replace=True)
                    continue
                imap_name = naming.next_name(f"{obs}_{instrument}", "imap",
                                             self.catalog.all_names())
                self.write(imap_name, imap_body, old_imap or "new instrument")
                if old_imap:
                    renamed[old_imap] = imap_name
                new_imaps[instrument] = imap_name
            pmap = naming.next_name(obs, "pmap", self.catalog.all_names())
            self.write(pmap, {"imaps": {**imaps, **new_imaps}}, edit)
            renamed[edit] = pmap
            self.catalog.add_context(pmap, description)
        return pmap, renamed

    def _rebase(self, pending: str, body: dict, current: str, added: list) -> str:
        """Replace a pending rmap whose parent went stale by a new one on `current`.

        The new rmap takes the next free serial, so rule serials keep growing with history.
        """
        base = [mappings.Entry.from_list(e) for e in self.catalog.mapping_body(current)["entries"]]
        entries = mappings.merge(base, [mappings.Entry.from_list(e) for e in added])
        self.catalog.delete_file(pending)
        self.path(pending).unlink(missing_ok=True)
        stem, ext = naming.family(pending) or (pending.rsplit(".", 1)[0], "rmap")
        rebased = naming.next_name(stem, ext, self.catalog.all_names() + [pending])
        self.write(rebased, dict(body, entries=[e.to_list() for e in entries]), current)
        return rebased
