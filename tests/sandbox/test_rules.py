"""Rules on a real catalog: the bundled seed, new contexts on commit; crds loads the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver.certify._parkeys import PARKEYS
from crds_deliver.rules.rmap import Rmap
from crds_deliver.sandbox.catalog import Catalog
from crds_deliver.sandbox.rules import Rules


def _rules(tmp_path: Path, project: str) -> Rules:
    rules = Rules(Catalog(tmp_path / "catalog.sqlite3", project), tmp_path / "mappings")
    (tmp_path / "references").mkdir(exist_ok=True)
    rules.seed(tmp_path / "references")
    return rules


@pytest.mark.parametrize("project", ["hst", "jwst", "roman"])
def test_seed_covers_every_type_with_its_match_keywords(tmp_path: Path, project: str) -> None:
    rules = _rules(tmp_path, project)
    pmap = rules.catalog.edit_context
    assert pmap == f"{project}_0001.pmap" == rules.catalog.operational_context
    for instrument, kinds in PARKEYS[project].items():
        for kind, keys in kinds.items():
            name = rules.rmap_of(pmap, instrument, kind)
            assert name is not None, (instrument, kind)
            rmap = Rmap.from_mapping(rules.mapping(name))
            assert rmap.match_keys == keys
            (reference,) = rmap.references()
            assert rules.catalog.delivered(reference) is not None
            assert (tmp_path / "references" / reference).is_file()


def test_seed_is_idempotent(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "roman")
    names = rules.catalog.all_names()
    rules.seed(tmp_path / "references")
    assert rules.catalog.all_names() == names


def test_hst_seed_references_have_cdbs_style_names(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "hst")
    rmap = Rmap.from_mapping(rules.mapping(rules.rmap_of("hst_0001.pmap", "wfc3", "biasfile")))
    assert rmap.references() == ["41100000i_bia.fits"]
    assert rmap.match_keys[:2] == ("DETECTOR", "CCDAMP")


def test_two_types_of_one_instrument_share_one_new_imap(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "jwst")
    items = {f"jwst_miri_{kind}_0001.rmap": [(("MIRIMAGE",) + ("FULL",) * (n - 1),
                                              "2026-01-01 00:00:00",
                                              f"jwst_miri_{kind}_0002.fits")]
             for kind, n in (("dark", 3), ("flat", 4))}
    for kind in ("dark", "flat"):  # the files exist as pending references
        rules.catalog.add_file(f"jwst_miri_{kind}_0002.fits", "reference")
    rmaps = {name: Rmap.from_mapping(rules.mapping(name)) for name in items}
    items = {name: [(m[:len(rmaps[name].match_keys)], d, f) for m, d, f in its]
             for name, its in items.items()}
    pmap, renamed = rules.commit(items, "two types")
    assert pmap == "jwst_0002.pmap"
    assert rules.catalog.edit_context == rules.catalog.operational_context == pmap
    imap = rules.mapping(pmap).children()["miri"]
    assert imap == "jwst_miri_0002.imap" == renamed["jwst_miri_0001.imap"]
    assert rules.mapping(imap).children()["dark"] == "jwst_miri_dark_0002.rmap"
    assert rules.mapping(imap).children()["flat"] == "jwst_miri_flat_0002.rmap"
    assert "jwst_miri_0003.imap" not in rules.catalog.all_names()
    dark = Rmap.from_mapping(rules.mapping("jwst_miri_dark_0002.rmap"))
    assert len(dark.references()) == 2  # inserted next to the seed's N/A case


def test_crds_loads_the_seed_and_a_committed_context(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    crds_rmap = pytest.importorskip("crds.core.rmap")
    rules = _rules(tmp_path, "hst")
    name = rules.rmap_of("hst_0001.pmap", "wfc3", "biasfile")
    rmap = Rmap.from_mapping(rules.mapping(name))
    match = tuple("UVIS" if k == "DETECTOR" else "N/A" for k in rmap.match_keys)
    rules.catalog.add_file("abu0020ki_bia.fits", "reference")
    pmap, _ = rules.commit({name: [(match, "2026-01-01 00:00:00", "abu0020ki_bia.fits")]},
                           "one bias")
    monkeypatch.setenv("CRDS_PATH", str(tmp_path / "cache"))
    monkeypatch.setenv("CRDS_MAPPATH", str(tmp_path / "maps"))
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "hst").symlink_to(tmp_path / "mappings")
    loaded = crds_rmap.load_mapping(str(tmp_path / "mappings" / pmap))  # checks sha1sums
    assert "abu0020ki_bia.fits" in loaded.get_imap("wfc3").get_rmap("biasfile").reference_names()
    text = (tmp_path / "mappings" / pmap).read_text()
    (tmp_path / "mappings" / pmap).write_text(text + "# edited\n")
    with pytest.raises(Exception, match="sha1sum mismatch"):
        crds_rmap.load_mapping(str(tmp_path / "mappings" / pmap))
