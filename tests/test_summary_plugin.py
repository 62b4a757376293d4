"""Run-wide figures (tests/fixtures/summary.py) add up across pytest-xdist workers: a small
suite in a tmp folder tallies from tests spread over two workers, and its summary shows the sum."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = '''
from tests.fixtures.summary import Tallies, tally
import pytest

TALLIES = Tallies()

@pytest.fixture
def count(request):
    return lambda amount: tally(request, "demo.seen", amount)

def pytest_runtest_logreport(report):
    TALLIES.add_report(report)

def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"demo: seen {TALLIES.total('demo.seen')}")
'''

CASES = '''
import pytest

@pytest.mark.parametrize("amount", range(1, 9))
def test_counts(count, amount):
    count(amount)
    count(amount)
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_tallies_sum_over_all_tests(tmp_path: Path, workers: list[str]) -> None:
    if workers:
        pytest.importorskip("xdist")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_cases.py").write_text(CASES)
    # Only the plugin under test (and xdist): the other installed plugins cost the inner run's
    # two workers startup time that, on a loaded CI machine, once went past two minutes.
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    plugins = ["-p", "xdist"] if workers else []
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugins,
                           *workers, str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "demo: seen 72" in done.stdout, done.stdout  # 2 x (1 + ... + 8)
