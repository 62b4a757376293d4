"""The rules engine against crds's own rmap insertion (crds.refactoring.refactor): the same
files inserted into the same rmap give the same match cases, dates and replaced files."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver.rules import load_context
from crds_deliver.rules.mapfile import read_mapping
from crds_deliver.rules.refkeys import match_values, read_keys, reference_useafter
from crds_deliver.rules.rmap import Rmap
from tests.fixtures.fits import write_hst_ref, write_jwst_ref
from tests.fixtures.installed import require
from tests.rules.cache import write_cache

pytestmark = pytest.mark.compat
require("crds")


def _ours(cache: Path, project: str, rmap_name: str, files: list[Path]) -> Rmap:
    rmap = load_context(cache, project).rmap(rmap_name)
    items = []
    for path in files:
        keys = read_keys(path)
        items.append((match_values(keys, rmap.match_keys), reference_useafter(keys) or "",
                      path.name))
    return rmap.insert(items)[0]


def _theirs(cache: Path, project: str, rmap_name: str, files: list[Path], out: Path) -> Rmap:
    from crds.refactoring import refactor  # imported by the tests that use it, not at collection

    refactor.rmap_insert_references(str(cache / "mappings" / project / rmap_name), str(out),
                                    [str(f) for f in files], observatory=project)
    return Rmap.from_mapping(read_mapping(out))


@pytest.mark.parametrize("project", ["hst", "jwst"])
def test_replace_insert_add_agree_with_crds(project: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRDS_PATH", str(tmp_path / "cache"))
    monkeypatch.setenv("CRDS_OBSERVATORY", project)
    if project == "hst":
        write, rmap_name, key, other = write_hst_ref, "hst_wfc3_biasfile_0001.rmap", \
            "CCDAMP", "A"
        later = {"USEAFTER": "Feb 01 2026 00:00:00"}
    else:
        write, rmap_name, key, other = write_jwst_ref, "jwst_miri_dark_0001.rmap", \
            "SUBARRAY", "BRIGHTSKY"
        later = {"USEAFTER": "2026-02-01T00:00:00"}
    # crds refuses a file without a value for each match keyword (the engine would place it
    # under N/A): the JWST fixture gets its FILTER, as MIRI darks carry it.
    base_keys = {"FILTER": "N/A"} if project == "jwst" else {}
    first = write(tmp_path / "first" / f"first_{project}.fits", base_keys)
    cache = write_cache(tmp_path / "cache", project)
    base = _ours(cache, project, rmap_name, [first])
    # The rmap now holds `first` at its case: the next files replace, insert, add.
    (cache / "mappings" / project / rmap_name).write_text(base.text(rmap_name, "test"))
    files = [write(tmp_path / f"same_{project}.fits", {**base_keys, "DESCRIP": "same again"}),
             write(tmp_path / f"other_{project}.fits", {**base_keys, key: other}),
             write(tmp_path / f"later_{project}.fits", {**base_keys, **later})]
    ours = _ours(cache, project, rmap_name, files)
    theirs = _theirs(cache, project, rmap_name, files, tmp_path / "theirs.rmap")
    assert ours.cases == theirs.cases
    assert first.name not in ours.references()  # replaced by same_<project>.fits
    assert len(ours.cases) == 3  # the seed's N/A case, the first case, the other value's
