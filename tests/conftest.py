"""Shared fixtures live in tests/fixtures/, one module per area, loaded here as plugins."""

from __future__ import annotations

import compileall
import contextlib
import os
from pathlib import Path

import pytest

from tests.fixtures.fork_client import SERVICES, Services
from tests.fixtures.rewritten_bytecode import write_rewritten_bytecode

pytest_plugins = [
    "tests.fixtures.fits",
    "tests.fixtures.sandbox",
    "tests.fixtures.repo",
    "tests.fixtures.reliability",
    "tests.fixtures.parity",
    "tests.fixtures.cpu_report",
]

ROOT = Path(__file__).resolve().parents[1]


# Variables of the machine running the tests (a CI runner, a developer's shell) that change
# what the commands print, write or where they connect; a test that needs one sets it itself.
HOST_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE",
                  "GITLAB_CI", "CI_PROJECT_DIR", "CRDS_DELIVER_CODEQUALITY",
                  "CRDS_DELIVER_FILES_ROOT", "CRDS_SERVER_URL", "MAST_API_TOKEN",
                  "CRDS_USERNAME", "CRDS_INI_FILE", "CRDS_OBSERVATORY", "CRDS_PATH")


def pytest_configure(config: pytest.Config) -> None:
    """Compile the package's and the tests' bytecode once, before any worker starts, and
    start the warm processes the workers fork programs from.

    A run starts well over a hundred fresh interpreters that import crds_deliver (the
    console script, deep-check workers, the template replay's steps, the fork
    services). Where PYTHONDONTWRITEBYTECODE is set, as on this project's machines, none
    of them keeps what it compiles, so each compiled the package again (about 0.3 s of CPU
    for the apply path). Python still reads bytecode it finds, checked against each source's
    time and size, so an edited file is compiled afresh, never masked. compileall writes
    whatever that variable says; a read-only checkout just goes without. The assertion-
    rewritten bytecode of the test modules and pytest's plugins is written here too
    (tests/fixtures/rewritten_bytecode.py)."""
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller did it
        return
    for folder in ("crds_deliver", "tests"):
        compileall.compile_dir(str(ROOT / folder), quiet=2)
    with contextlib.suppress(AttributeError, TypeError):  # a pytest that renamed its functions
        write_rewritten_bytecode(config, ROOT / "tests")  # (tests/test_rewritten_bytecode.py)
    _start_fork_services(config)


def _start_fork_services(config: pytest.Config) -> None:
    """The warm processes that fork crds-deliver and crds's programs for the tests
    (tests/fixtures/fork_service.py), one of each for the whole run, started here so that
    every pytest-xdist worker (started after this hook) inherits their folder. Each warms
    on its first request (4-5 s of CPU), which each worker used to pay for itself. A pytest
    run inside a test uses the services of the run that started it."""
    if os.environ.get(SERVICES):
        return
    services = Services(HOST_VARIABLES)
    config.add_cleanup(services.close)


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch: pytest.MonkeyPatch,
                         tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test starts without the host's CI and CRDS settings (subprocesses inherit it),
    and with a lock folder of its own: the default, ~/.cache/crds-deliver/locks, outlives the
    run, and a lock left there by a killed run was found stale by a later test whose sandbox
    got the same port."""
    for name in HOST_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRDS_DELIVER_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))


def _start_rank(item: pytest.Item) -> int:
    """0 for the minutes-long tests (slow), 1 for the crds programs' (compat), 2 otherwise."""
    if item.get_closest_marker("slow"):
        return 0
    return 1 if item.get_closest_marker("compat") else 2


def _first_shares(total: int, workers: int) -> list[int]:
    """How many tests pytest-xdist's work-stealing scheduler first hands each worker: the
    collection in order, split into `workers` runs of len(pending) // workers-left tests."""
    shares, left = [], total
    for index in range(workers):
        shares.append(left // (workers - index))
        left -= shares[-1]
    return shares


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests (slow, then compat) dealt out over the workers, each at the head of a
    worker's first share of the collection (pytest-xdist, --dist=worksteal).

    The scheduler first splits the collection in order, one run of tests per worker, and an
    idle worker later steals the tail of the longest queue. With the long tests merely sorted
    first, one worker got all of them and ran most of them one after the other while the others
    finished their short tests and stole only short ones. Dealt out and put first, each worker
    starts on its share of the long tests, and the short tests behind them are what moves."""
    items.sort(key=_start_rank)  # stable: each group keeps its order
    workerinput = getattr(config, "workerinput", None)
    workers = int(workerinput["workercount"]) if workerinput else 1
    if workers < 2:
        return
    long = [item for item in items if _start_rank(item) < 2]
    short = items[len(long):]
    order: list[pytest.Item] = []
    for worker, share in enumerate(_first_shares(len(items), workers)):
        dealt = long[worker::workers]
        filler = max(0, share - len(dealt))
        order += dealt + short[:filler]
        short = short[filler:]
    items[:] = order + short
