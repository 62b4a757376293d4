"""Shared steps of the fault suite: run apply as a real process, read the server's state back
(ingest area, catalog), and check a result record on disk."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import yaml

from crds_deliver.record import record_path
from tests.fixtures.cli_process import CliProcess
from tests.fixtures.repo import sandbox_env
from tests.fixtures.sandbox import SandboxWeb


def start_apply(manifest: Path, sb, *args: str, env: dict[str, str] | None = None,
                output: Path | None = None) -> CliProcess:
    """`crds-deliver apply --yes MANIFEST ARGS` as a separate process pointed at `sb`, its
    stdout and stderr in `output` (default: discarded)."""
    full = {**os.environ, **sandbox_env(sb), **(env or {})}
    return CliProcess(["apply", "--yes", manifest, *args], env=full, output=output)


def record_state(manifest: Path) -> str | None:
    path = record_path(manifest)
    if not path.exists():
        return None
    return (yaml.safe_load(path.read_text()) or {}).get("state")


def wait_until(condition, proc: CliProcess | None = None, timeout: float = 60,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc is not None:
            assert proc.poll() is None, f"apply ended before {what}"
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def ingest_names(sb, instrument: str = "nircam") -> list[str]:
    """The sandbox user's ingest area (read through a session on another instrument, so the
    delivery's instrument lock is not taken)."""
    web = SandboxWeb(sb)
    web.login(instrument)
    names = sorted(f["name"] for f in web.listing()["files"])
    web.get("/logout/")
    return names


def record_data(manifest: Path) -> dict:
    return yaml.safe_load(record_path(manifest).read_text())


def local_files(manifest: Path) -> list[Path]:
    return sorted(manifest.parent.glob("refs-*/*.fits"))


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def server_has_exactly(sb, files: list[Path]) -> bool:
    """Every local file is in the server's catalog (pending or delivered) bit for bit, by
    sha1, exactly once: no corrupt copy, no second copy."""
    known = [(sb.catalog.file(name) or {}).get("sha1sum") for name in sb.catalog.all_names()]
    return all(known.count(sha1(f)) == 1 for f in files)
