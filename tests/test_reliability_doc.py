"""docs/reliability.md lists every case of the fault and bad-input suites: a case added
without regenerating the table fails here (regenerate with the command in the document)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"


def _case_ids() -> list[str]:
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "tests/faults", "tests/bad_inputs"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    ids = []
    for line in done.stdout.splitlines():
        path, sep, case = line.partition("::")
        if sep and path.startswith("tests/"):
            ids.append(f"{Path(path).stem}::{case}")
    return ids


def test_every_reliability_case_is_in_the_document() -> None:
    ids = _case_ids()
    assert len(ids) > 50  # the suites were collected
    text = DOC.read_text(encoding="utf-8")
    missing = [case for case in ids if f"`{case}`" not in text]
    assert missing == [], f"not in {DOC.name} (regenerate the table): {missing}"


def test_the_document_states_the_totals() -> None:
    text = DOC.read_text(encoding="utf-8")
    for figure in ("cases tried", "cases passed", "duplicate posts = 0",
                   "lost or lying records = 0", "token leaks = 0", "tracebacks = 0",
                   "stuck records = 0"):
        assert figure in text
