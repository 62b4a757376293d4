"""Run the real `crds certify` program on many files in ONE Python process (its start-up, with
stdatamodels, costs seconds; a process per file would cost minutes), offline.

    python -m tests.parity.crds_run JOBS.json RESULTS.json

JOBS.json: {"cache": CRDS_PATH, "jobs": [{"file": path, "context": "jwst_9000.pmap"}, ...]}.
Each file is certified by its own `crds certify FILE --comparison-context CTX --dump-provenance
[--run-fitsverify]` run (crds.certify.CertifyScript, the command's own class), as the CRDS server
certifies a submitted file (fitsverify when installed; no sha1 check, which needs the server).
RESULTS.json: {file: {"errors": n, "warnings": n, "messages": [...]}}. The environment must
set CRDS_PATH, CRDS_SERVER_URL (unreachable) and CRDS_MODE=local before crds is imported:
`environment(cache)` gives it.
"""

from __future__ import annotations

import gc
import json
import logging
import shutil
import sys
from pathlib import Path


def environment(cache: Path, base: dict[str, str]) -> dict[str, str]:
    """`base` without CRDS settings, plus those that make crds work offline from `cache`."""
    env = {k: v for k, v in base.items() if not k.startswith("CRDS_")}
    # crds collects garbage around every FITS open (against running out of memory over
    # thousands of files); with stdatamodels loaded that was half the run, and it changes
    # no verdict.
    env.update(CRDS_PATH=str(cache), CRDS_SERVER_URL="https://127.0.0.1:9/",
               CRDS_MODE="local", CRDS_READONLY_CACHE="0",
               CRDS_EXPLICIT_GARBAGE_COLLECTION="False")
    return env


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {' '.join(record.getMessage().split())}")


def certify_all(jobs: list[dict[str, str]]) -> dict[str, dict]:
    from crds.certify.certify import CertifyScript
    from crds.core import log

    fitsverify = ["--run-fitsverify"] if shutil.which("fitsverify") else []
    results = {}
    for job in jobs:
        # What the imports and earlier files left stays: the collection crds still runs
        # after each file then walks only this file's objects.
        gc.freeze()
        collector = _Collect()
        log.THE_LOGGER.logger.addHandler(collector)
        log.THE_LOGGER.reset()
        try:
            CertifyScript(["crds.certify", job["file"], "--comparison-context", job["context"],
                           "--dump-provenance", *fitsverify])()
        except SystemExit:
            pass
        except Exception as exc:  # noqa: BLE001  (a crash is crds's verdict too: an error)
            collector.lines.append(f"ERROR: crds crashed: {exc}")
            log.THE_LOGGER.errors += 1
        finally:
            log.THE_LOGGER.logger.removeHandler(collector)
        results[job["file"]] = {"errors": log.errors(), "warnings": log.warnings(),
                                "messages": collector.lines}
    return results


def main(argv: list[str]) -> int:
    request = json.loads(Path(argv[0]).read_text())
    Path(argv[1]).write_text(json.dumps(certify_all(request["jobs"]), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
