"""Shared fixtures live in tests/fixtures/, one module per area, loaded here as plugins."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.fits",
    "tests.fixtures.sandbox",
    "tests.fixtures.repo",
    "tests.fixtures.reliability",
    "tests.fixtures.parity",
]

# Variables of the machine running the tests (a CI runner, a developer's shell) that change
# what the commands print, write or where they connect; a test that needs one sets it itself.
HOST_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE",
                  "GITLAB_CI", "CI_PROJECT_DIR", "CRDS_DELIVER_CODEQUALITY",
                  "CRDS_DELIVER_FILES_ROOT", "CRDS_SERVER_URL", "MAST_API_TOKEN",
                  "CRDS_USERNAME", "CRDS_INI_FILE", "CRDS_OBSERVATORY", "CRDS_PATH")


@pytest.fixture(autouse=True)
def hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the host's CI and CRDS settings (subprocesses inherit it)."""
    for name in HOST_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _start_rank(item: pytest.Item) -> int:
    """0 for the minutes-long tests (slow), 1 for the crds programs' (compat), 2 otherwise."""
    if item.get_closest_marker("slow"):
        return 0
    return 1 if item.get_closest_marker("compat") else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (a stable sort keeps each group's order): pytest-xdist hands
    out tests in collection order, and a minutes-long test started last would run alone on
    one core while the other workers sit idle; the short ones at the end then fill the
    workers' queues evenly (pyproject.toml's --dist=worksteal moves them between workers)."""
    items.sort(key=_start_rank)
