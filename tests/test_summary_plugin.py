"""Run-wide figures (tests/fixtures/summary.py) add up whether or not pytest-xdist spreads the
tests over workers.

One process: a small suite in a tmp folder tallies, and its summary shows the sum.
Across workers: a figure travels from an xdist worker to the controller on the test's report,
through pytest's report serialization hooks and execnet's wire format; the test sends reports
over that very path in this process and sums what arrives. (A nested `pytest -n 2` run tested the
same thing less directly, and twice hung past its timeout on a loaded CI machine before running a
single test.) The suite's own summary, printed by the xdist controller under `pytest -n 3`, is the
end-to-end check on every CI run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.summary import PREFIX, Tallies

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


def test_tallies_sum_over_all_tests_in_one_process(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_cases.py").write_text(CASES)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "demo: seen 72" in done.stdout, done.stdout  # 2 x (1 + ... + 8)


def _report(when: str, amount: int) -> pytest.TestReport:
    return pytest.TestReport(nodeid=f"test_cases.py::test_counts[{amount}]",
                             location=("test_cases.py", 3, "test_counts"), keywords={},
                             outcome="passed", longrepr=None, when=when,
                             user_properties=[(PREFIX + "demo.seen", amount)] * 2)


def test_tallies_survive_the_trip_from_an_xdist_worker(request: pytest.FixtureRequest) -> None:
    execnet = pytest.importorskip("execnet")
    hook = request.config.hook
    tallies = Tallies()
    for amount in range(1, 9):
        for when in ("setup", "call", "teardown"):
            # What xdist's worker sends (remote.py) and its controller rebuilds (workermanage.py).
            sent = hook.pytest_report_to_serializable(config=request.config,
                                                      report=_report(when, amount))
            received = hook.pytest_report_from_serializable(config=request.config,
                                                            data=execnet.loads(execnet.dumps(sent)))
            tallies.add_report(received)
    assert tallies.total("demo.seen") == 72
