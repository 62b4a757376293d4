"""The offline rmap's copies (certify/offline_rules.py), made by sharing its attributes and
unpickling its empty selector instead of crds's format-and-parse: the same rmap, the same
insertion, the same refusal, and copies that do not see each other's insertions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from crds_deliver.certify.offline_rmap import rmap_text
from tests.fixtures.fits import write_hst_ref

pytestmark = pytest.mark.skipif(importlib.util.find_spec("crds") is None,
                                reason="the crds package is not installed")

TYPES = [("hst", "wfc3", "biasfile"), ("hst", "acs", "pfltfile"), ("jwst", "miri", "dark"),
         ("jwst", "nircam", "flat"), ("roman", "wfi", "dark")]


def _rules(project: str, instrument: str, filekind: str) -> object:
    from crds_deliver.certify.offline_rules import OfflineRules

    name = f"{project}_{instrument}_{filekind}_offline.rmap"
    return OfflineRules.from_text(rmap_text(project, instrument, filekind, name), name)


@pytest.mark.parametrize("kind", TYPES, ids=["_".join(kind) for kind in TYPES])
def test_a_copy_is_the_rmap_that_crds_copies(kind: tuple[str, str, str]) -> None:
    from crds.core.rmap import ReferenceMapping

    rules = _rules(*kind)
    ours, crds_copy = rules.copy(), ReferenceMapping.copy(rules)
    assert ours is not rules and ours.selector is not rules.selector
    assert ours.format() == crds_copy.format() == rules.format()


def _dataset_header(rules: object, path: Path) -> dict:
    from crds import data_file

    header = data_file.get_header(str(path), (), path.name, "hst")
    header = data_file.ensure_keys_defined(header, needed_keys=rules.get_reference_parkeys())
    return rules.reference_to_dataset_header(header)


def test_inserting_into_a_copy_adds_and_refuses_as_crds_does(tmp_path: Path) -> None:
    from crds import data_file
    from crds.core.rmap import ReferenceMapping

    rules = _rules("hst", "wfc3", "biasfile")
    good = write_hst_ref(tmp_path / "w0000001i_bia.fits")
    header = _dataset_header(rules, good)
    crds_copy = ReferenceMapping.copy(rules)
    crds_copy.selector.insert(header, good.name, rules.tpn_valid_values)
    assert rules.insert(header, good.name).format() == crds_copy.format() != rules.format()
    again = rules.insert(header, "w0000009i_bia.fits")  # a fresh copy: the first is not in it
    assert "w0000009i_bia.fits" in again.format() and good.name not in again.format()
    assert type(again.copy()) is type(rules) and again.copy().format() == again.format()

    bad = write_hst_ref(tmp_path / "w0000002i_bia.fits", overrides={"DETECTOR": "NIR"})
    header = _dataset_header(rules, bad)
    with pytest.raises(Exception) as ours:  # noqa: PT011  (crds raises its own classes)
        rules.insert(header, bad.name)
    with pytest.raises(Exception) as theirs:  # noqa: PT011
        ReferenceMapping.copy(rules).selector.insert(header, bad.name, rules.tpn_valid_values)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)
    data_file.clear_header_cache()


def test_crds_inserts_whatever_the_useafter_date(tmp_path: Path) -> None:
    """The premise of check_insertion's memory: crds's own insertion into an rmap of Match then
    UseAfter selectors does not read the date. If a crds release starts to, this fails, and
    check_insertion must remember the dates too."""
    from crds.core.rmap import ReferenceMapping

    rules = _rules("hst", "wfc3", "biasfile")
    header = _dataset_header(rules, write_hst_ref(tmp_path / "w0000001i_bia.fits"))
    for date in ("UNDEFINED", "not a date", "2026-13-45", ""):
        crds_copy = ReferenceMapping.copy(rules)
        crds_copy.selector.insert({**header, "DATE-OBS": date}, "w0000001i_bia.fits",
                                  rules.tpn_valid_values)
        assert "w0000001i_bia.fits" in crds_copy.format()


def test_check_insertion_remembers_what_it_accepted_and_nothing_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = _rules("hst", "wfc3", "biasfile")
    good = _dataset_header(rules, write_hst_ref(tmp_path / "w0000001i_bia.fits"))
    bad = _dataset_header(rules, write_hst_ref(tmp_path / "w0000002i_bia.fits",
                                               overrides={"DETECTOR": "NIR"}))
    assert not rules._accepted
    rules.check_insertion(good, "w0000001i_bia.fits")
    assert len(rules._accepted) == 1
    # Another date with the same Match values: accepted without another insertion.
    with monkeypatch.context() as patched:
        def no_insertion(*_args: object) -> None:
            raise AssertionError("inserted again")

        patched.setattr(rules, "insert_header_reference", no_insertion)
        rules.check_insertion({**good, "DATE-OBS": "2027-02-03"}, "w0000003i_bia.fits")
    assert len(rules._accepted) == 1
    # Other Match values are inserted, refused as crds refuses them, and each time.
    for _ in range(2):
        with pytest.raises(Exception, match="parameter='DETECTOR' value='NIR'"):  # noqa: PT011
            rules.check_insertion(bad, "w0000002i_bia.fits")
    assert len(rules._accepted) == 1
    # A Match value that is not text is left to crds each time, and not remembered.
    odd = {**good, "CCDAMP": ["ABCD"]}  # unhashable too
    with pytest.raises(Exception) as theirs:  # noqa: PT011  (crds raises its own classes)
        rules.insert_header_reference(odd, "w0000004i_bia.fits")
    with pytest.raises(type(theirs.value)):
        rules.check_insertion(odd, "w0000004i_bia.fits")
    assert len(rules._accepted) == 1
    # A copy (an rmap with an insertion in it) does not use the pristine rmap's memory.
    changed = rules.insert(good, "w0000001i_bia.fits")
    with pytest.raises(Exception, match="parameter='DETECTOR' value='NIR'"):  # noqa: PT011
        changed.check_insertion(bad, "w0000002i_bia.fits")
    assert not hasattr(changed, "_accepted")
