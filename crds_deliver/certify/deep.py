"""Deep rule checks: the `crds` package's own certifier, run offline, for HST, JWST and Roman.

`crds certify` checks a reference with a certifier class per format (FITS, ASDF, JSON/YAML): the
TPN validators (value lists, ranges, required arrays and keywords, constraints), the rmap's match
parameters promoted to required, the provenance keywords, the table modes, then the project's own
check (JWST: the file opened with stdatamodels; Roman: the tree read by asdf with
roman_datamodels' converters), and last the file's insertion into its rmap (match values against
the `_ld.tpn` lists). Running those same classes is the one way to agree with crds, so preflight
does, with two offline substitutions: the type's rmap is rebuilt from crds's spec
(offline_rmap.py) instead of read from a context, and there is no old reference to compare
tables with. What crds logs as an error is an error here, a warning a warning. Two steps
are done faster with the same outcome: crds's reads of a plainly standard FITS file
(plain_fits.py) and its copy of the rmap before an insertion (offline_rules.py).

Importing crds costs most of a second of CPU (stdatamodels several), so it happens only when a
file needs it, once per process.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Protocol

from crds_deliver.certify.asdf_extensions import load_extensions
from crds_deliver.certify.findings import Finding, error, warning
from crds_deliver.certify.fits_arrays import SharedArrayReads
from crds_deliver.certify.offline_rmap import rmap_text
from crds_deliver.certify.plain_fits import PlainFitsReads, plain_reading
from crds_deliver.certify.strict_header import PlainHdus
from crds_deliver.certify.structure import WARNINGS_LOCK

# crds keeps global log and config state, and astropy warnings are process-wide: one at a time.
_LOCK = WARNINGS_LOCK
_IMPORT_LOCK = threading.Lock()
# Messages that only say the check ran offline (no context to find the old table in).
_OFFLINE_NOISE = ("No comparison reference for", "Failed resolving comparison reference")
_BAD_USEAFTER = "Bad USEAFTER time format"
_CHECKING = re.compile(r"^Checking '(?P<name>[^']+)'")
_BAD_MATCH = re.compile(r"parameter='(?P<key>[^']+)' value='[^']*' is not in \([^)]*\)")
_BRACKETED = re.compile(r"\[(?P<fits>[A-Z0-9_-]+)\]$")


class _Certifier(Protocol):
    """A crds certifier class (crds.certify.certify.FitsCertifier, ...) made offline."""

    offline_rmap: object

    def certify(self) -> None: ...


# What each project's certifier imports on its first file (the datamodels are the heavy part).
_PROJECT_MODULES = {"hst": ("crds.hst.locate",),
                    "jwst": ("crds.jwst.locate", "stdatamodels.jwst.datamodels"),
                    "roman": ("crds.roman.locate", "roman_datamodels.datamodels")}


def import_crds(project: str) -> ModuleType | None:
    """crds's certify module with `project`'s datamodels imported, once per process; None when
    crds cannot be imported."""
    with _IMPORT_LOCK, _collector_paused():
        module = _import_once()
        if module is not None:
            _import_project(project)
        return module


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The garbage collector off while crds and the datamodels are imported: the imports make
    hundreds of thousands of objects, and every few hundred the collector walked the young
    ones, every so often all of them, only for gc.freeze() to put them out of its sight once
    the import is done (_import_once). `import_crds` in a fresh process, with and without,
    alternating: HST 1.28 -> 1.10 s of CPU, JWST 2.8 -> 2.65 s; the peak memory 1 MB more.
    Where the collector was off already (a user's choice), it stays off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def preload(project: str) -> None:
    """Import crds and `project`'s datamodels in a background thread, so the import overlaps
    with hashing the files (hashing releases the GIL) instead of following it."""
    threading.Thread(target=import_crds, args=(project,), name="crds-import",
                     daemon=True).start()


@cache
def _import_project(project: str) -> None:
    import importlib

    for name in _PROJECT_MODULES[project]:
        with contextlib.suppress(Exception):  # the certifier reports it on the file
            importlib.import_module(name)
    if project in ("jwst", "roman"):  # their checks go through asdf (JWST: an empty model)
        load_extensions()
    # See _import_once: the datamodel packages create as many long-lived objects again.
    gc.freeze()


@lru_cache(maxsize=1)
def _import_once() -> ModuleType | None:
    try:
        import crds.certify.certify as certify_module
        from crds.core import log
    except Exception:  # noqa: BLE001  (a broken crds install means: no deep checks)
        return None
    log.remove_console_handler()
    # The imports create hundreds of thousands of objects that live as long as the process:
    # move them out of the collector's sight once, so that its full passes (and crds's own
    # gc.collect() calls, where they still run) take microseconds instead of ~50 ms.
    gc.freeze()
    return certify_module


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def clean(message: str) -> str:
    """The crds message without its `instrument=... ::` or `In 'file' :` prefix."""
    text = " ".join(message.split(" :: ", 1)[-1].split())
    return re.sub(r"^In '[^']*' : ", "", text)


def _keyword(message: str) -> str | None:
    """`AUTHOR` from `Checking 'META.AUTHOR [AUTHOR]' : ...`, `DQ` from `Checking 'DQ' : ...`."""
    found = _CHECKING.match(message)
    if not found:
        return None
    return _short(found["name"]) if "[" in found["name"] else found["name"]


def _short(name: str) -> str:
    """`DETECTOR` from `ROMAN.META.INSTRUMENT.DETECTOR [DETECTOR]` or `META.X.DETECTOR`."""
    bracketed = _BRACKETED.search(name)
    return bracketed["fits"] if bracketed else name.rsplit(".", 1)[-1]


@cache
def _offline_class(base: type) -> type:
    """`base` (a crds certifier class) with the context replaced by the spec's rmap, and for
    FITS files the reads of plainly standard ones replaced by the strict reading
    (plain_fits.py) and the array reads served from one open (fits_arrays.py)."""
    from crds.certify.certify import FitsCertifier

    bases = (PlainFitsReads, SharedArrayReads, base) if base is FitsCertifier else (base,)

    class Offline(*bases):  # type: ignore[misc, valid-type]
        offline_rmap = None
        validators_by_type: dict[tuple[str, str, str], list] = {}  # noqa: RUF012

        def get_corresponding_rmap(self):  # noqa: ANN202  (crds's own interface)
            return self.offline_rmap

        def get_validators(self):  # noqa: ANN202  (crds's own interface)
            """crds's validators for this file's type, built once per type: crds builds them
            for every file (compiling their expressions: a sixth of a small file's check),
            though they come from the type's TPN files and rmap alone and keep nothing of a
            file. A project whose locator derives extra rules from the file is left to
            crds."""
            from crds.core import utils

            if utils.get_locator_module(self.observatory).get_extra_tpninfos(self.filename):
                return super().get_validators()
            key = (self.observatory, self.offline_rmap.instrument, self.offline_rmap.filekind)
            if key not in self.validators_by_type:
                self.validators_by_type[key] = super().get_validators()
            return self.validators_by_type[key]

        def find_old_reference(self, context, reffile):  # noqa: ANN001, ANN202, ARG002
            return None

        def check_asdf_standard_version(self) -> None:
            """The requirement lives in the context's pmap, which a plan does not have."""

    Offline.__name__ = f"Offline{base.__name__}"
    return Offline


@lru_cache(maxsize=256)
def _rmap(project: str, instrument: str, filekind: str) -> object:
    from crds_deliver.certify.offline_rules import OfflineRules

    name = f"{project}_{instrument}_{filekind}_offline.rmap"
    return OfflineRules.from_text(rmap_text(project, instrument, filekind, name), name)


def _certifier(module: ModuleType, path: Path, project: str, plain: PlainHdus | None
               ) -> _Certifier:
    from crds.core import utils

    _filetype, klass = module.get_certifier_class(str(path), str(path))
    instrument, filekind = utils.get_file_properties(project, str(path))
    offline = _offline_class(klass)
    certifier = offline(str(path), f"{project}-offline.pmap", dump_provenance=True,
                        compare_old_reference=True, observatory=project,
                        original_name=path.name)
    certifier.offline_rmap = _rmap(project, instrument, filekind)
    if isinstance(certifier, PlainFitsReads):
        certifier.plain = plain_reading(path, plain)
    return certifier


def _forget(path: Path, project: str) -> None:
    """Drop what crds cached about `path`: the same path may hold other bytes next time."""
    from crds import data_file
    from crds.core import utils

    data_file.clear_header_cache()
    # crds's @utils.cached keeps results in a dict, as the workers' FileProperties does.
    for properties in (utils.get_locator_module(project).get_file_properties,
                       utils.get_file_properties):
        memo = getattr(properties, "cache", None)
        if isinstance(memo, dict):
            memo.clear()


@cache
def _settle(project: str) -> None:
    """After the first file of a project: the datamodels load their schemas lazily, on the
    first file, and those live as long as the process; freeze them too (see _import_once)."""
    gc.collect()
    gc.freeze()


def _rmap_update(certifier: _Certifier, path: Path, name: str, project: str) -> list[Finding]:
    """crds certify's last step: insert the file into its rmap (the match values must be in
    the type's `_ld.tpn` lists, e.g. a Roman DETECTOR WFI21 fails here and nowhere else).

    This is crds's `ReferenceMapping.insert_reference` with one difference: its header read
    (`get_refactor_header`) asks crds's header cache under another key (no original name)
    than the certifier's own read just did, so crds opened and parsed the file once more, a
    quarter of a small file's deep check. Here the header comes from that cached read, then
    goes through the same two steps as in crds (undefined match keys, then reference to
    dataset keywords)."""
    from crds import data_file

    rmap = certifier.offline_rmap
    try:
        header = data_file.get_header(str(path), (), path.name, project)
        header = data_file.ensure_keys_defined(
            header, needed_keys=tuple(rmap.get_reference_parkeys()))  # type: ignore[attr-defined]
        rmap.check_insertion(  # type: ignore[attr-defined]
            rmap.reference_to_dataset_header(header), path.name)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001
        text = clean(str(exc))
        reason = _BAD_MATCH.search(text)  # crds puts the whole header before the reason
        return [error(name, f"crds: Failed updating rmap : {reason[0] if reason else text}",
                      keyword=_short(reason["key"]) if reason else None)]
    return []


class _CrdsSettings:
    """crds's settings while it checks a file:

    - FITS_VERIFY_CHECKSUM off: the checksums were verified while the file was streamed,
      and crds would read all the data again;
    - EXPLICIT_GARBAGE_COLLECTION off: crds runs gc.collect() before and after every FITS
      open, against running out of memory over thousands of arrays in one `crds certify`;
      here each file's arrays are freed as it ends, and the full collections were a fifth
      of a submission.

    In a process that may be a user's (a notebook using crds too), they are set around each
    file and restored after. A deep-check worker (deep_worker.py) is ours alone: there they
    are set once (`pin`). crds keeps them in environment variables, and setting and restoring
    them was about 3% of a small file's check (0.87 against 0.84 ms in one process).

    A worker also turns crds's information messages off (its verbosity -1, as
    CRDS_VERBOSITY=-1 would): crds formats and logs each provenance keyword it reads, and
    only its warnings and errors are findings (3% of a small HST file's check, alternating
    rounds in one process)."""

    pinned = False

    def pin(self) -> None:
        from crds.core import config, log

        config.FITS_VERIFY_CHECKSUM.set("False")
        config.EXPLICIT_GARBAGE_COLLECTION.set("False")
        log.set_verbose(-1)
        self.pinned = True

    @contextlib.contextmanager
    def for_one_file(self) -> Iterator[None]:
        if self.pinned:
            yield
            return
        from crds.core import config

        verify_checksum = config.FITS_VERIFY_CHECKSUM.set("False")
        collect = config.EXPLICIT_GARBAGE_COLLECTION.set("False")
        try:
            yield
        finally:
            config.FITS_VERIFY_CHECKSUM.set(verify_checksum)
            config.EXPLICIT_GARBAGE_COLLECTION.set(collect)


_SETTINGS = _CrdsSettings()


def pin_crds_settings() -> None:
    """For a process of ours alone, after import_crds: see _CrdsSettings."""
    _SETTINGS.pin()


# How plan asks for crds's findings on one file: deep_findings here, or a worker's (deep_pool.py).
# The last argument is the strict reading of the file's headers that preflight made, if any
# (structure.py's Header.plain), so that crds's FITS certifier need not read them again.
DeepCheck = Callable[[Path, str, str, PlainHdus | None], list[Finding]]


def deep_findings(path: Path, name: str, project: str, plain: PlainHdus | None = None
                  ) -> list[Finding]:
    """Findings of crds's own certifier for one structurally valid reference file (callers
    remember whole verdicts per bytes and name: memo.py). `plain`: the strict reading of
    its headers, when the caller made one (plain_fits.py).

    A crash inside crds or a datamodel package becomes an error finding for this file only.
    """
    module = import_crds(project)
    if module is None:
        return [error(name, "crds could not be imported: deep checks did not run")]
    return _certified(module, path, name, project, plain)


def _certified(module: ModuleType, path: Path, name: str, project: str,
               plain: PlainHdus | None) -> list[Finding]:
    from crds.core import log

    collector = _Collect()
    crashed: list[Finding] = []
    with _LOCK, _SETTINGS.for_one_file():
        log.THE_LOGGER.logger.addHandler(collector)
        try:
            certifier = _certifier(module, path, project, plain)
            certifier.certify()
        except Exception as exc:  # noqa: BLE001  (crds and datamodels raise anything)
            text = clean(str(exc)) or type(exc).__name__
            crashed.append(error(name, f"crds: Validation error : {text}"))
        else:
            if not any(r.levelno >= logging.ERROR for r in collector.records):
                crashed += _rmap_update(certifier, path, name, project)
        finally:
            log.THE_LOGGER.logger.removeHandler(collector)
            _forget(path, project)
    _settle(project)
    findings: list[Finding] = []
    for record in collector.records:
        text = clean(record.getMessage())
        if text.startswith(_OFFLINE_NOISE):
            continue
        make = error if record.levelno >= logging.ERROR else warning
        findings.append(make(name, f"crds: {text}", keyword=_keyword(text)))
    return _one_useafter_error(findings) + crashed


def _one_useafter_error(findings: list[Finding]) -> list[Finding]:
    """crds reports a bad USEAFTER twice (its format check, then its date parse): keep the
    format check's finding when there is one, else the parse's, under the USEAFTER keyword."""
    parse = [f for f in findings if _BAD_USEAFTER in f.message]
    if not parse:
        return findings
    checked = any(f.keyword == "USEAFTER" and f.severity.value == "error" for f in findings)
    return [f if f not in parse else replace(f, keyword="USEAFTER")
            for f in findings if not (checked and f in parse)]
