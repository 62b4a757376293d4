"""The assertion-rewritten bytecode that the run's first process writes for the workers
(tests/fixtures/rewritten_bytecode.py): written through pytest's own functions, and found by
every process for every module it rewrites."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _pytest.assertion import rewrite

from tests.fixtures.rewritten_bytecode import cache_of, write_rewritten_bytecode


def test_a_test_module_gets_the_bytecode_pytest_itself_would_write(
        pytestconfig: pytest.Config, tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    source = tests / "test_sample.py"
    source.write_text("def test_sample():\n    x = 1\n    assert x == 2\n")
    (tests / "helper.py").write_text("VALUE = 1\n")  # not a test module: not rewritten

    written = [path for path in write_rewritten_bytecode(pytestconfig, tests, writers=1)
               if tmp_path in path.parents]  # not the installed plugins', if any were missing

    assert [path.name for path in written] == [
        f"test_sample.{sys.implementation.cache_tag}-pytest-{pytest.__version__}.pyc"]
    code = rewrite._read_pyc(source, written[0])
    assert code is not None
    test_code = next(const for const in code.co_consts
                     if getattr(const, "co_name", None) == "test_sample")
    assert "@py_assert1" in test_code.co_varnames  # the assert was rewritten
    assert written[0] not in write_rewritten_bytecode(pytestconfig, tests, writers=1)  # kept


def test_every_module_this_process_rewrote_had_its_bytecode_written(
        pytestconfig: pytest.Config) -> None:
    """Where PYTHONDONTWRITEBYTECODE is set, pytest writes none of it: the run's first process
    must have written it for every module this process rewrote (the test modules, the
    fixtures' plugins, hypothesis's and pytest-xdist's modules)."""
    hook = pytestconfig.stash[rewrite.assertstate_key].hook
    assert hook is not None
    rewritten = dict(hook._rewritten_names)
    assert Path(__file__) in rewritten.values()
    missing = [str(path) for path in rewritten.values()
               if rewrite._read_pyc(path, cache_of(path)) is None]
    assert not missing, missing
