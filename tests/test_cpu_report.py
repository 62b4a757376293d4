"""`--cpu-report FILE` (tests/fixtures/cpu_report.py) writes each module's CPU: the test
process's own and that of the children it waited for, in one process and across workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end:\n    pass\n"
CASES = f'''
import subprocess, sys

def test_burns_in_this_process():
{"".join("    " + line + chr(10) for line in BURN.splitlines())}
def test_burns_in_a_child():
    subprocess.run([sys.executable, "-c", {BURN!r}], check=True)
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two workers"])
def test_each_module_gets_its_own_and_its_childrens_cpu(tmp_path: Path, workers: list[str]
                                                         ) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.fixtures.cpu_report"]\n')
    (tmp_path / "test_burn.py").write_text(CASES)
    (tmp_path / "test_idle.py").write_text("def test_nothing():\n    pass\n")
    report = tmp_path / "cpu.md"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *workers,
                           str(tmp_path), "--cpu-report", str(report)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {cells[0]: cells[1:] for line in report.read_text().splitlines()[2:]
            if (cells := [c.strip() for c in line.strip("|").split("|")])}
    tests, own, children, total = rows["test_burn.py"]
    assert tests == "2" and float(own) >= 0.3 and float(children) >= 0.3, rows
    assert abs(float(total) - float(own) - float(children)) <= 0.11
    assert list(rows) == ["test_burn.py", "test_idle.py", "all"], rows  # most CPU first
    assert rows["all"][0] == "3"
