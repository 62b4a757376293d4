"""Rules on a real catalog: seeding, new contexts, new instruments; crds loads the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver.sandbox import mappings
from crds_deliver.sandbox.catalog import Catalog
from crds_deliver.sandbox.rules import Rules


def _rules(tmp_path: Path, project: str) -> Rules:
    rules = Rules(Catalog(tmp_path / "catalog.sqlite3", project), tmp_path / "mappings")
    rules.seed()
    return rules


def test_seed_is_idempotent(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "roman")
    names = rules.catalog.all_names()
    rules.seed()
    assert rules.catalog.all_names() == names
    assert rules.catalog.closure("roman_0001.pmap")[:2] == ["roman_0001.pmap",
                                                            "roman_wfi_0001.imap"]


def test_new_instrument_gets_imap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = _rules(tmp_path, "hst")
    entry = mappings.Entry(("PC1",), "2026-01-01 00:00:00", "wfpc2_ref_0001.r0h")
    rmap = rules.new_rmap("wfpc2", "biasfile", ".r0h", [entry], "sub-1")
    pmap, renamed = rules.commit({rmap: {"derived_from": None, "added": [entry.to_list()]}},
                                 "new instrument")
    assert pmap == "hst_0002.pmap" and renamed == {"hst_0001.pmap": "hst_0002.pmap"}
    body = rules.catalog.mapping_body(pmap)
    assert body["imaps"]["wfpc2"] == "hst_wfpc2_0001.imap"
    crds_rmap = pytest.importorskip("crds.core.rmap")
    monkeypatch.setenv("CRDS_PATH", str(tmp_path))
    monkeypatch.setenv("CRDS_MAPPATH", str(tmp_path / "maps"))
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "hst").symlink_to(tmp_path / "mappings")
    loaded = crds_rmap.load_mapping(str(tmp_path / "mappings" / pmap))
    assert loaded.get_imap("wfpc2").get_rmap("biasfile").reference_names() == \
        ["wfpc2_ref_0001.r0h"]


def test_two_types_of_one_instrument_share_one_new_imap(tmp_path: Path) -> None:
    rules = _rules(tmp_path, "jwst")
    entries = {kind: mappings.Entry(("MIRIMAGE", "FULL"), "2026-01-01 00:00:00",
                                    f"jwst_miri_{kind}_0001.fits") for kind in ("dark", "flat")}
    pending = {rules.derive_rmap(f"jwst_miri_{kind}_0001.rmap", [entry], "s"):
               {"derived_from": f"jwst_miri_{kind}_0001.rmap", "added": [entry.to_list()]}
               for kind, entry in entries.items()}
    pmap, renamed = rules.commit(pending, "two types")
    imap = rules.catalog.mapping_body(pmap)["imaps"]["miri"]
    assert imap == "jwst_miri_0002.imap"
    assert rules.catalog.mapping_body(imap)["rmaps"]["dark"] == "jwst_miri_dark_0002.rmap"
    assert rules.catalog.mapping_body(imap)["rmaps"]["flat"] == "jwst_miri_flat_0002.rmap"
    assert renamed["jwst_miri_0001.imap"] == "jwst_miri_0002.imap"
    assert "jwst_miri_0003.imap" not in rules.catalog.all_names()


def test_mapping_text_checksum_matches_crds(tmp_path: Path) -> None:
    crds_rmap = pytest.importorskip("crds.core.rmap")
    text = mappings.rmap_text("jwst", "jwst_miri_dark_0009.rmap", "miri", "dark",
                              [mappings.Entry(("MIRIMAGE", "N/A"), "2026-01-01 00:00:00",
                                              "jwst_miri_dark_0001.fits")], "test", ".fits")
    path = tmp_path / "jwst_miri_dark_0009.rmap"
    path.write_text(text)
    loaded = crds_rmap.load_mapping(str(path))  # verifies the sha1sum header
    assert loaded.reference_names() == ["jwst_miri_dark_0001.fits"]
    path.write_text(text.replace("2026-01-01", "2026-01-02"))
    with pytest.raises(Exception, match="sha1sum mismatch"):
        crds_rmap.load_mapping(str(path))
