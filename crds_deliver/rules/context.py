"""A CRDS context (a pmap and every imap and rmap under it), read from a CRDS cache folder.

The cache is the folder `crds sync` fills (CRDS_PATH): mappings under `mappings/<obs>/`, the
server's last known contexts in `config/<obs>/server_config` (a Python literal). Symbolic
names (`jwst-edit`, `jwst-operational`...) resolve through that file, literal `.pmap` names
directly. Everything is read before anything is used, so a bad cache fails whole, naming the
file at fault.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from crds_deliver.errors import CrdsDeliverError
from crds_deliver.rules.mapfile import MappingError, MappingFile, read_mapping
from crds_deliver.rules.rmap import Rmap, UnsupportedRmap

_SYMBOLIC = {"edit": "edit_context", "latest": "latest_context",
             "operational": "operational_context", "versions": "versions_context",
             "build": "build_context"}
_PMAP = re.compile(r"^[a-z]{1,8}_\d{4,}\.pmap$")


class ContextError(CrdsDeliverError):
    """The context cannot be read: not a cache, unknown context, a mapping that does not
    parse. The message names the folder or file."""


@dataclass
class LoadedContext:
    """A pmap and its mappings, by name (pmap, imaps and rmaps of its closure only)."""

    project: str
    pmap: str
    mappings: dict[str, MappingFile]

    def imap_for(self, instrument: str) -> str | None:
        return self.mappings[self.pmap].children().get(instrument.lower())

    def rmap_for(self, instrument: str, filekind: str) -> str | None:
        imap = self.imap_for(instrument)
        if imap is None:
            return None
        return self.mappings[imap].children().get(filekind.lower())

    def rmap(self, name: str) -> Rmap:
        """The rmap `name` as cases. Raises UnsupportedRmap for selectors not modelled."""
        return Rmap.from_mapping(self.mappings[name])

    def closure(self) -> list[str]:
        return sorted(self.mappings)

    def references(self) -> list[str]:
        """Every reference the context's rmaps name (rmaps not modelled are skipped)."""
        names: set[str] = set()
        for name in self.mappings:
            if name.endswith(".rmap"):
                try:
                    names.update(self.rmap(name).references())
                except UnsupportedRmap:
                    continue
        return sorted(names)


def mapping_dir(cache: Path, project: str) -> Path:
    return cache / "mappings" / project


def server_config(cache: Path, project: str) -> dict:
    """The cache's copy of the server's info (contexts), or {} when there is none."""
    path = cache / "config" / project / "server_config"
    if not path.is_file():
        return {}
    try:
        value = ast.literal_eval(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, SyntaxError, UnicodeDecodeError) as exc:
        raise ContextError(f"{path}: not a CRDS server_config file: {exc}") from None
    return value if isinstance(value, dict) else {}


def resolve_name(cache: Path, project: str, spec: str | None) -> str:
    """The literal pmap named by `spec` (None = `<project>-edit`) in this cache."""
    spec = spec or f"{project}-edit"
    if spec.endswith(".pmap"):
        return spec
    word = spec[len(project) + 1:] if spec.startswith(project + "-") else spec
    if word not in _SYMBOLIC:
        raise ContextError(f"context '{spec}': only a literal .pmap or <obs>-edit, -latest, "
                           "-operational, -versions, -build can be read from a cache")
    info = server_config(cache, project)
    name = info.get(_SYMBOLIC[word]) or (info.get("operational_context")
                                         if word == "latest" else None)
    if not name:
        raise ContextError(f"{cache / 'config' / project / 'server_config'}: no "
                           f"{_SYMBOLIC[word]} recorded; run `crds sync --contexts {spec}` "
                           "or name a literal .pmap")
    return str(name)


def check_cache(cache: Path, project: str) -> Path:
    """The cache's mapping folder; ContextError when `cache` is not a CRDS cache."""
    folder = mapping_dir(cache, project)
    if not cache.is_dir():
        raise ContextError(f"{cache}: no such folder (expected a CRDS cache, the CRDS_PATH "
                           "that `crds sync` fills)")
    if not folder.is_dir():
        raise ContextError(f"{cache}: not a CRDS cache for {project}: it has no "
                           f"mappings/{project}/ folder")
    return folder


def load_context(cache: Path, project: str, spec: str | None = None) -> LoadedContext:
    """Read the context `spec` (default `<project>-edit`) and its whole closure from `cache`."""
    folder = check_cache(cache, project)
    pmap = resolve_name(cache, project, spec)
    if not _PMAP.match(pmap) or not pmap.startswith(project + "_"):
        raise ContextError(f"context '{pmap}' is not a {project} pipeline mapping (.pmap)")
    mappings: dict[str, MappingFile] = {}

    def load(name: str, parent: str | None) -> MappingFile:
        path = folder / name
        if not path.is_file():
            held = "" if parent else f" (the cache holds {len(list(folder.glob('*.pmap')))} pmaps)"
            where = f", named by {parent}" if parent else ""
            raise ContextError(f"{path}: the cache does not hold {name}{where}{held}")
        try:
            mappings[name] = read_mapping(path)
        except MappingError as exc:
            raise ContextError(str(exc)) from None
        return mappings[name]

    for imap in load(pmap, None).children().values():
        for rmap in load(imap, pmap).children().values():
            load(rmap, imap)
    return LoadedContext(project, pmap, mappings)
