"""Shared fixtures live in tests/fixtures/, one module per area, loaded here as plugins."""

pytest_plugins = [
    "tests.fixtures.fits",
    "tests.fixtures.sandbox",
    "tests.fixtures.repo",
    "tests.fixtures.reliability",
]
