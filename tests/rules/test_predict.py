"""The rules engine on a real cache folder and real FITS files: replace, insert, add, conflict,
and every way a context can be unreadable."""

from __future__ import annotations

from pathlib import Path

import pytest

from crds_deliver.certify._parkeys import PARKEYS
from crds_deliver.rules import ContextError, DeliveredFile, load_context, predict
from crds_deliver.rules.refkeys import condition, match_values, read_keys, useafter
from tests.fixtures.fits import write_hst_ref
from tests.rules.cache import write_cache

RMAP = "hst_wfc3_biasfile_0001.rmap"
KEYS = PARKEYS["hst"]["wfc3"]["biasfile"]


def _cache_with_existing_bias(tmp_path: Path) -> tuple[Path, tuple[str, ...]]:
    """A cache whose WFC3 bias rmap holds 'old_bia.fits' at the fixture bias's own case."""
    existing = write_hst_ref(tmp_path / "existing" / "x_bia.fits")
    match = match_values(read_keys(existing), KEYS)
    cache = write_cache(tmp_path / "cache", "hst",
                        {RMAP: {match: {"2026-01-01 00:00:00": "old_bia.fits"}}})
    return cache, match


def _file(path: Path) -> DeliveredFile:
    return DeliveredFile(path.name, path, "wfc3", "biasfile")


def test_replace_insert_add_as_crds_places_them(tmp_path: Path) -> None:
    cache, match = _cache_with_existing_bias(tmp_path)
    context = load_context(cache, "hst")
    assert context.pmap == "hst_0001.pmap"
    same = write_hst_ref(tmp_path / "same_bia.fits")
    other_amp = write_hst_ref(tmp_path / "amp_bia.fits", {"CCDAMP": "A"})
    later = write_hst_ref(tmp_path / "later_bia.fits", {"USEAFTER": "Feb 01 2026 00:00:00"})
    result = predict(context, [_file(same), _file(other_amp), _file(later)])
    assert not result.unplaced and not result.conflicts
    placed = result.placements
    assert placed["same_bia.fits"].to_dict() == {
        "context": "hst_0001.pmap", "rmap": RMAP, "match": dict(zip(KEYS, match, strict=True)),
        "useafter": "2026-01-01 00:00:00", "replaces": "old_bia.fits"}
    assert placed["amp_bia.fits"].match["CCDAMP"] == "A"
    assert placed["amp_bia.fits"].replaces is None  # a new match case next to the old one
    assert placed["later_bia.fits"].useafter == "2026-02-01 00:00:00"
    assert placed["later_bia.fits"].replaces is None  # a new date in the same case


def test_two_files_on_one_case_conflict(tmp_path: Path) -> None:
    cache, _ = _cache_with_existing_bias(tmp_path)
    one = write_hst_ref(tmp_path / "one_bia.fits")
    two = write_hst_ref(tmp_path / "two_bia.fits", {"DESCRIP": "the same case again"})
    result = predict(load_context(cache, "hst"), [_file(one), _file(two)])
    ((key, other, text),) = result.conflicts
    assert (key, other) == ("two_bia.fits", "one_bia.fits")
    assert "each would replace the other" in text and RMAP in text


def test_unplaceable_files_say_why(tmp_path: Path) -> None:
    cache, _ = _cache_with_existing_bias(tmp_path)
    no_date = write_hst_ref(tmp_path / "nodate_bia.fits", {"USEAFTER": None})
    broken = tmp_path / "broken_bia.fits"
    broken.write_bytes(b"not a FITS file")
    result = predict(load_context(cache, "hst"), [
        _file(no_date), _file(broken), DeliveredFile("x", no_date, None, None),
        DeliveredFile("y", no_date, "wfc3", "nosuchfile")])
    assert "USEAFTER" in result.unplaced["nodate_bia.fits"]
    assert "cannot read" in result.unplaced["broken_bia.fits"]
    assert "not known" in result.unplaced["x"]
    assert "no rules for wfc3 nosuchfile" in result.unplaced["y"]


@pytest.mark.parametrize("value,expected", [
    ("uvis", "UVIS"), (1.5, "1.5"), (2, "2.0"), ("-999", "N/A"), ("any", "*"), (True, "T"),
    ("", "N/A"), ("NOT APPLICABLE", "N/A")])
def test_values_are_conditioned_as_crds_does(value: object, expected: str) -> None:
    assert condition(value) == expected


def test_useafter_forms() -> None:
    assert useafter("Jan 01 2026 00:00:00") == "2026-01-01 00:00:00"
    assert useafter("2026-01-01T12:30:00") == "2026-01-01 12:30:00"
    assert useafter("soon") is None


def test_symbolic_and_literal_context_names(tmp_path: Path) -> None:
    cache = write_cache(tmp_path / "cache", "jwst")
    assert load_context(cache, "jwst", "jwst-operational").pmap == "jwst_0001.pmap"
    assert load_context(cache, "jwst", "jwst_0001.pmap").rmap_for("miri", "dark") == \
        "jwst_miri_dark_0001.rmap"


def test_not_a_cache(tmp_path: Path) -> None:
    with pytest.raises(ContextError, match="no such folder"):
        load_context(tmp_path / "missing", "hst")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ContextError, match="not a CRDS cache for hst"):
        load_context(tmp_path / "empty", "hst")


def test_unknown_context_names_the_file(tmp_path: Path) -> None:
    cache = write_cache(tmp_path / "cache", "hst")
    with pytest.raises(ContextError, match="does not hold hst_0042.pmap"):
        load_context(cache, "hst", "hst_0042.pmap")
    (cache / "config" / "hst" / "server_config").unlink()
    with pytest.raises(ContextError, match="no edit_context recorded"):
        load_context(cache, "hst")


def test_unparsable_mapping_names_the_file(tmp_path: Path) -> None:
    cache = write_cache(tmp_path / "cache", "hst")
    bad = cache / "mappings" / "hst" / RMAP
    bad.write_text("header = {\n  'name' : \n")
    with pytest.raises(ContextError, match=rf"{RMAP}:\d+: does not parse"):
        load_context(cache, "hst")
    bad.write_text("header = {}\nselector = eval('1')\n")
    with pytest.raises(ContextError, match=rf"{RMAP}:2: not a CRDS mapping expression"):
        load_context(cache, "hst")


def test_certified_keywords_place_the_file_without_opening_it(tmp_path: Path) -> None:
    """The keywords certification read are the ones the rules use: same placement, and the
    file is not opened again (here it is gone)."""
    from crds_deliver.certify import certify_file

    cache, _ = _cache_with_existing_bias(tmp_path)
    context = load_context(cache, "hst")
    path = write_hst_ref(tmp_path / "same_bia.fits")
    keywords = certify_file(path, "hst").keywords
    opened = predict(context, [_file(path)]).placements["same_bia.fits"]
    path.unlink()
    handed = predict(context, [DeliveredFile(path.name, path, "wfc3", "biasfile", keywords)])
    assert handed.placements["same_bia.fits"] == opened
