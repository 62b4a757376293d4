"""crds_values.py's stand-ins give exactly what crds's own functions give, on every header of
the parity corpus and on generated values, and are put in crds's place only for the crds source
they were checked against."""

from __future__ import annotations

import contextlib
import math
import types
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crds_deliver.certify import crds_values
from crds_deliver.certify.crds_values import (
    SOURCES,
    FileProperties,
    cached_header_read,
    install_crds_stand_ins,
    quiet_cached_call,
    remembered_dates,
    remembering_condition_value,
    remembering_eval_header,
    source_digests,
)
from tests.fixtures.installed import require
from tests.parity.corpus import CASES, write_corpus

require("crds")


def _crds() -> tuple[ModuleType, ModuleType, ModuleType]:
    """crds's data_file, core.utils and io.abstract, imported when a test runs (not while
    every worker collects the suite: tests/fixtures/installed.py)."""
    from crds import data_file
    from crds.core import utils
    from crds.io import abstract

    return data_file, utils, abstract


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The parity corpus, each case in a folder of its own: case name -> file."""
    return write_corpus(tmp_path_factory.mktemp("corpus"))


def _same(ours: object, theirs: object) -> bool:
    """Equal values of the same type, NaN equal to NaN; dicts key by key, in order."""
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and list(ours) == list(theirs) and all(
            _same(ours[key], theirs[key]) for key in theirs)
    if isinstance(theirs, float) and math.isnan(theirs):
        return isinstance(ours, float) and math.isnan(ours)
    return type(ours) is type(theirs) and ours == theirs


def test_the_installed_crds_is_the_one_the_stand_ins_were_checked_against() -> None:
    assert source_digests() == SOURCES, (
        "crds's source changed: check crds_values.py's stand-ins against it, then regenerate "
        "SOURCES with `python -m crds_deliver.certify.crds_values`")


@pytest.fixture(scope="module")
def corpus_headers(corpus: dict[str, Path]) -> list[dict[str, object]]:
    """Each FITS file of the parity corpus as crds's certifier reads it, and each of its HDUs'
    cards as astropy reads them (strings, integers, floats, booleans)."""
    from astropy.io import fits

    def value(card: fits.Card) -> object:
        try:
            return card.value
        except fits.VerifyError:  # the corpus's deliberately broken cards
            return None

    data_file, _utils, _abstract = _crds()
    projects = {case.name: case.project for case in CASES}
    headers: list[dict[str, object]] = []
    for name, path in corpus.items():
        if path.suffix != ".fits":
            continue
        # a file crds cannot read still gives its cards below
        with contextlib.suppress(Exception):
            headers.append(dict(data_file.get_header(str(path), (), path.name,
                                                     projects[name])))
        with fits.open(path) as hdus:
            headers += [{card.keyword: value(card) for card in hdu.header.cards
                         if isinstance(value(card), (str, int, float, bool))} for hdu in hdus]
    assert len(headers) > 60
    return headers


def test_the_header_conversion_gives_crds_own_on_every_corpus_header(corpus_headers) -> None:
    _data_file, _utils, abstract = _crds()
    convert = remembering_eval_header(abstract)
    for header in corpus_headers + corpus_headers:  # the second time from what was remembered
        assert _same(convert(header), abstract.convert_to_eval_header(header)), header


def test_the_conditioning_gives_crds_own_on_every_corpus_value(corpus_headers) -> None:
    _data_file, utils, _abstract = _crds()
    condition = remembering_condition_value(utils.condition_value)
    for value in [v for header in corpus_headers for v in header.values()] * 2:
        assert condition(value) == utils.condition_value(value), value


_VALUES = st.one_of(
    st.text(max_size=20), st.integers(), st.floats(), st.booleans(), st.none(),
    st.from_regex(r"\A\s?[-+]?\d{0,4}[._]?\d{0,3}(e[-+]?\d{1,3})?\s?\Z"),
    st.sampled_from(["N/A", "any", "NOT APPLICABLE", "-999", "4294967295", "T", "false",
                     "inf", "-nan", "1_000", " 12 ", "0x10", "1.", "", True, 1, 1.0, 0.0, -0.0]))
_KEYS = st.one_of(st.text(max_size=12), st.from_regex(r"\A[A-Za-z_.0-9]{1,12}(\.[a-z]{1,6})*\Z"))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=12))
def test_both_give_crds_own_on_generated_headers(items) -> None:
    header = dict(items)
    _data_file, utils, abstract = _crds()
    convert = remembering_eval_header(abstract)
    condition = remembering_condition_value(utils.condition_value)
    for _ in range(2):
        assert _same(convert(header), abstract.convert_to_eval_header(header))
        for value in header.values():
            assert condition(value) == utils.condition_value(value)


def test_an_unhashable_value_is_converted_as_crds_converts_it() -> None:
    header = {"A.B": [1, 2], "C": "3"}
    _data_file, _utils, abstract = _crds()
    assert _same(remembering_eval_header(abstract)(header),
                 abstract.convert_to_eval_header(header))


def test_they_take_crds_place_only_for_the_source_they_were_checked_against(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data_file, utils, _abstract = _crds()
    # whatever happens here, the test process's crds is put back afterwards
    monkeypatch.setattr(utils, "condition_value", utils.condition_value)
    monkeypatch.setattr(data_file, "convert_to_eval_header", data_file.convert_to_eval_header)
    monkeypatch.setattr(utils.CachedFunction, "_readonly", utils.CachedFunction._readonly)
    monkeypatch.setattr(data_file, "get_header", data_file.get_header)
    own = (utils.condition_value, data_file.convert_to_eval_header)
    own_look_up = utils.CachedFunction._readonly
    name = next(iter(SOURCES))
    monkeypatch.setitem(crds_values.SOURCES, name, "0" * 64)  # another crds
    assert install_crds_stand_ins() is False
    assert (utils.condition_value, data_file.convert_to_eval_header) == own
    assert utils.CachedFunction._readonly is own_look_up
    own_read = data_file.get_header
    monkeypatch.setitem(crds_values.SOURCES, name, source_digests()[name])
    assert install_crds_stand_ins() is True
    assert utils.condition_value is not own[0]
    assert data_file.convert_to_eval_header is not own[1]
    assert utils.CachedFunction._readonly is not own_look_up
    assert data_file.get_header is not own_read
    assert utils.condition_value("any") == "*"


def test_a_header_read_gives_crds_own_and_reads_only_what_is_not_cached(
        corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    data_file, _utils, _abstract = _crds()
    projects = {case.name: case.project for case in CASES}
    reads: list[tuple[object, ...]] = []

    def crds_own(*args: object) -> dict:
        reads.append(args)
        return data_file.get_header(*args)

    read = cached_header_read(crds_own, data_file.get_free_header.cache)
    fits_files = [(name, path) for name, path in corpus.items() if path.suffix == ".fits"]
    compared = 0
    for name, path in fits_files:
        data_file.clear_header_cache()
        arguments = (str(path), (), path.name, projects[name])
        try:
            theirs = data_file.get_header(*arguments)  # now cached
        except Exception:  # noqa: BLE001  (a file crds cannot read: nothing was cached)
            continue
        reads.clear()
        assert read(*arguments) is theirs
        assert read(str(path), (), None, projects[name]) == data_file.get_header(
            str(path), (), None, projects[name])  # not cached under those arguments
        assert reads == [(str(path), (), None, projects[name])]
        compared += 1
    data_file.clear_header_cache()
    assert compared > 20


def test_cached_calls_give_what_crds_own_look_up_gives() -> None:
    """Results, the cache left behind and the calls of the function itself, call by call,
    for calls the stand-in takes and calls it leaves to crds."""
    from crds.core import log

    _data_file, utils, _abstract = _crds()
    quiet = quiet_cached_call(utils.CachedFunction._readonly, log.THE_LOGGER)
    calls = [(1, 2), ("a",), (1, 2), (), ((1, "x"),), ("a",), (None,), (1.0, 2)]
    for omit in (None, [1]):
        runs = {}
        for name in ("crds", "stand-in"):
            made: list[tuple[object, ...]] = []

            def work(*args: object, made: list = made, **keys: object) -> tuple[object, ...]:
                made.append((args, keys))
                return ("made", len(made), args, tuple(keys.items()))

            cached = utils.CachedFunction(work, omit_from_key=omit)
            if name == "stand-in":
                cached._readonly = types.MethodType(quiet, cached)
            answers = [cached(*args) for args in calls] + [cached(1, x=2), cached(1, x=2)]
            runs[name] = (answers, dict(cached.cache), made)
        assert runs["stand-in"] == runs["crds"]


def test_calls_crds_would_log_or_key_otherwise_go_to_crds_own() -> None:
    _data_file, utils, _abstract = _crds()
    seen: list[tuple[tuple[object, ...], dict[str, object]]] = []

    def crds_own(_self: object, *args: object, **keys: object) -> tuple[object, object]:
        seen.append((args, keys))
        return "key", "value"

    logger = SimpleNamespace(verbose_level=-1)
    quiet = quiet_cached_call(crds_own, logger)  # type: ignore[arg-type]
    plain = utils.CachedFunction(lambda *args: args)
    omitting = utils.CachedFunction(lambda *args: args, omit_from_key=[0])
    assert quiet(plain, 1, 2) == ((1, 2), (1, 2))
    assert seen == []
    quiet(plain, 1, x=2)
    quiet(omitting, 1, 2)
    logger.verbose_level = 80
    quiet(plain, 1, 2)
    assert seen == [((1,), {"x": 2}), ((1, 2), {}), ((1, 2), {})]


def test_a_worker_judges_as_this_process_with_them(corpus: dict[str, Path]) -> None:
    """End to end: deep-check workers (which install them) and this process (which does not)
    give the same findings for every HST and JWST file of the corpus."""
    from crds_deliver.certify.deep import deep_findings
    from crds_deliver.certify.deep_pool import POOL_MIN_FILES, WorkerPool, deep_checker

    projects = {case.name: case.project for case in CASES}
    for project in ("hst", "jwst"):
        paths = [path for name, path in corpus.items()
                 if projects[name] == project and path.suffix == ".fits"]
        with deep_checker(project, POOL_MIN_FILES) as check:
            assert isinstance(check, WorkerPool)
            remote = [check(p, p.name, project) for p in paths]
        assert remote == [deep_findings(p, p.name, project) for p in paths]


def _outcome(function: Callable[..., object], *args: object) -> object:
    """What `function(*args)` gives, or the type of what it raises."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001  (crds raises many kinds)
        return type(exc)


def test_file_properties_are_crds_own_worked_out_once_a_file(
        corpus: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each corpus file's instrument and type as crds gives them, asked for twice: worked out
    once when crds can, each time when it raises; and forgotten once a deep check of the file
    is over."""
    from crds_deliver.certify.deep import deep_findings

    _data_file, utils, _abstract = _crds()
    projects = {case.name: case.project for case in CASES}
    asked: list[str] = []

    def crds_own(observatory: str, filename: str) -> tuple[str, str]:
        asked.append(filename)
        return utils.get_file_properties(observatory, filename)

    properties = FileProperties(crds_own)
    for name, path in corpus.items():
        asked.clear()
        theirs = _outcome(utils.get_file_properties, projects[name], str(path))
        ours = [_outcome(properties, projects[name], str(path)) for _ in range(2)]
        assert ours == [theirs, theirs], name
        assert len(asked) == (2 if isinstance(theirs, type) else 1), name
    monkeypatch.setattr(utils, "get_file_properties", FileProperties(utils.get_file_properties))
    [(name, path)] = [(n, p) for n, p in corpus.items() if projects[n] == "hst"][:1]
    deep_findings(path, path.name, "hst")
    assert utils.get_file_properties.cache == {}


_DATES = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A(Jan|feb|MAR|Sept|dec)[ -/]\d{1,2},? \d{2,4}( \d{1,2}:\d{2}(:\d{2}"
                  r"(\.\d{1,6})?)?( ?[AaPp][Mm])?)?( UT)?\Z"),
    st.from_regex(r"\A\d{1,4}[-/]\d{1,2}[-/]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?\Z"),
    st.sampled_from(["2026-01-01T00:00:00", "Jan 01 2026 00:00:00", "19970114:053714",
                     "2008-10-15T08:44:44.619 UNDEFINED", "12/21/99 05:42:00 PM", ""]))


@settings(max_examples=400, deadline=None)
@given(st.lists(_DATES, max_size=6), st.sampled_from([" ", "T"]))
def test_dates_are_reformatted_as_crds_does(dates: list[str], sep: str) -> None:
    from crds.core import timestamp

    reformatted = remembered_dates(timestamp.reformat_date)
    for date in dates * 2:  # the second time from what was remembered
        assert _outcome(reformatted, date, sep) == _outcome(timestamp.reformat_date, date, sep)


def test_a_date_that_is_not_text_goes_to_crds_each_time() -> None:
    import datetime

    from astropy.time import Time
    from crds.core import timestamp

    reformatted = remembered_dates(timestamp.reformat_date)
    moment = datetime.datetime(2026, 1, 1, 12, 30)
    assert reformatted(moment) == timestamp.reformat_date(moment)
    assert reformatted(Time("2026-01-01T12:30:00")) == timestamp.reformat_date(
        Time("2026-01-01T12:30:00"))
