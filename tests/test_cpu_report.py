"""`--cpu-report FILE` (tests/fixtures/cpu_report.py) writes each module's CPU: the test
process's own and that of its children (those it waited for, and the programs the run's fork
services forked for it). Run across two pytest-xdist workers, the way the suite runs, so the
figures also cross from the workers to the controller; only xdist is loaded (plugin autoload
off), which keeps the nested run to a few seconds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BURN = "import time\nend = time.process_time() + 0.2\nwhile time.process_time() < end:\n    pass\n"
CASES = f'''
import os, subprocess, sys

def test_burns_in_this_process():
{"".join("    " + line + chr(10) for line in BURN.splitlines())}
def test_burns_in_a_child():
    subprocess.run([sys.executable, "-c", {BURN!r}], check=True)

def test_burns_in_a_forked_program():
    from tests.fixtures.fork_client import run_to_end
    code, _, err = run_to_end("python", ["-c", {BURN!r}], os.environ, os.getcwd(), 120)
    assert code == 0, err
'''


def test_each_module_gets_its_own_and_its_childrens_cpu(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.fixtures.cpu_report"]\n')
    (tmp_path / "test_burn.py").write_text(CASES)
    (tmp_path / "test_idle.py").write_text("def test_nothing():\n    pass\n")
    report = tmp_path / "cpu.md"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    # --basetemp: the workers' temporary folders go here, and the nested run does not prune
    # the numbered folders of other runs under the system's temporary folder (gigabytes).
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "xdist",
                           "-n", "2", "--basetemp", str(tmp_path / "nested"), str(tmp_path),
                           "--cpu-report", str(report)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {cells[0]: cells[1:] for line in report.read_text().splitlines()[2:]
            if (cells := [c.strip() for c in line.strip("|").split("|")])}
    tests, own, children, total = rows["test_burn.py"]
    assert tests == "3" and float(own) >= 0.2 and float(children) >= 0.4, rows
    assert abs(float(total) - float(own) - float(children)) <= 0.11
    assert list(rows) == ["test_burn.py", "test_idle.py", "all"], rows  # most CPU first
    assert rows["all"][0] == "4"
