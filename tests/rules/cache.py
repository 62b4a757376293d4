"""A CRDS cache folder on disk (the layout `crds sync` fills), built from the sandbox's seed
with chosen rmap cases, for rules tests that must not depend on a server."""

from __future__ import annotations

from pathlib import Path

from crds_deliver.rules.mapfile import parse_mapping
from crds_deliver.rules.rmap import Rmap
from crds_deliver.sandbox import seed


def write_cache(root: Path, project: str,
                cases: dict[str, dict[tuple[str, ...], dict[str, str]]] | None = None) -> Path:
    """The seed context of `project` as a cache at `root`; `cases` replaces the cases of the
    named rmaps. Also writes config/<obs>/server_config naming the pmap as edit context."""
    folder = root / "mappings" / project
    folder.mkdir(parents=True, exist_ok=True)
    for item in seed.seed_files(project):
        if item.body is None:
            continue
        text = item.data.decode()
        if cases and item.name in cases:
            rmap = Rmap.from_mapping(parse_mapping(text, item.name))
            text = Rmap(item.name, rmap.header, cases[item.name]).text(item.name, "test")
        (folder / item.name).write_text(text)
    config = root / "config" / project
    config.mkdir(parents=True, exist_ok=True)
    pmap = f"{project}_0001.pmap"
    (config / "server_config").write_text(repr({"edit_context": pmap,
                                                "operational_context": pmap}))
    return root
