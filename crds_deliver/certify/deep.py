"""Deep HST rule checks through the optional `crds` package's own validators, offline.

The validators carry every per-type value list, table column and expression from CRDS's TPN
files (certify-rules §4 "Offline with only the installed package"). Importing crds costs a
third of a second, so it happens only when an HST file is certified, and only once.
"""

from __future__ import annotations

import gc
import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from crds_deliver.certify.findings import Finding, error, info, warning
from crds_deliver.certify.structure import WARNINGS_LOCK

SKIPPED = ("deep rule checks were skipped: install the crds extra "
           "(pip install 'crds-deliver[crds]') to run CRDS's own HST validators")

# crds keeps global log and config state, and astropy warnings are process-wide: one at a time.
_LOCK = WARNINGS_LOCK
_IMPORT_LOCK = threading.Lock()


def _crds() -> Any | None:
    with _IMPORT_LOCK:
        return _import_crds()


def preload() -> None:
    """Import crds in a background thread, so the import overlaps with hashing the files
    (hashing releases the GIL) instead of following it."""
    threading.Thread(target=_crds, name="crds-import", daemon=True).start()


@lru_cache(maxsize=1)
def _import_crds() -> Any | None:
    try:
        from crds import data_file
        from crds.certify import validators
        from crds.core import config, log
        from crds.io import abstract
    except Exception:  # noqa: BLE001  (a broken crds install means: no deep checks)
        return None
    log.remove_console_handler()
    # crds runs gc.collect() around every FITS open: ~50 ms each over all the objects the
    # imports created. Those live as long as the process, so move them out of the collector's
    # sight once; collections then take microseconds.
    gc.freeze()
    return validators, abstract, data_file, log, config


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _clean(message: str) -> str:
    """CRDS messages carry a `instrument=... type=... data=... ::` prefix; drop it."""
    return message.split(" :: ", 1)[-1].strip()


def hst_deep_findings(path: Path, name: str) -> list[Finding]:
    """Findings of CRDS's HST validators for one (structurally valid) FITS file."""
    loaded = _crds()
    if loaded is None:
        return [info(name, SKIPPED)]
    validators, abstract, data_file, log, config = loaded
    findings: list[Finding] = []
    with _LOCK:
        collector = _Collect()
        log.THE_LOGGER.logger.addHandler(collector)
        # Checksums were verified while streaming: crds would read all the data again.
        verify_checksum = config.FITS_VERIFY_CHECKSUM.set("False")
        try:
            try:
                checks = validators.get_validators("hst", str(path), context=None)
                header = abstract.convert_to_eval_header(
                    data_file.get_header(str(path), (), None, "hst"))
            except Exception as exc:  # noqa: BLE001  (crds raises bare exceptions)
                return [error(name, f"crds validators: {_clean(str(exc))}")]
            for check in checks:
                keyword = getattr(check, "name", None)
                try:
                    check.check(str(path), header)
                except Exception as exc:  # noqa: BLE001
                    findings.append(error(name, f"crds: {_clean(str(exc))}", keyword=keyword))
        finally:
            config.FITS_VERIFY_CHECKSUM.set(verify_checksum)
            log.THE_LOGGER.logger.removeHandler(collector)
    for record in collector.records:
        text = _clean(record.getMessage())
        make = error if record.levelno >= logging.ERROR else warning
        findings.append(make(name, f"crds: {text}"))
    return findings
