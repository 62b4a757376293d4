"""Facts about the three CRDS projects: instruments, server use-cases and their URLs.

Kept in one place because the schema checks, the certification, the client and the sandbox
all need the same lists, and a second copy would drift.
"""

from __future__ import annotations

PROJECTS: tuple[str, ...] = ("hst", "jwst", "roman")

# Seconds a quick question to a server (form description, server info) may take.
DEFAULT_TIMEOUT = 5.0

INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "hst": ("acs", "cos", "nicmos", "stis", "synphot", "wfc3", "wfpc2"),
    "jwst": ("fgs", "miri", "nircam", "niriss", "nirspec", "system"),
    "roman": ("wfi",),
}

# Which use-case servers each project has. OPS hosts carry no use-case part.
USE_CASES: dict[str, tuple[str, ...]] = {
    "hst": ("ops", "test", "dev", "bit", "cit"),
    "jwst": ("ops", "test", "dev", "bit", "cit"),
    "roman": ("ops", "test", "dev", "int", "tvac"),
}


def server_url(project: str, use_case: str) -> str:
    """The base URL (with trailing slash) of a project's server for a use-case string.

    Raises KeyError when the project has no such server (e.g. hst/int), which the manifest
    schema already rejects; callers below the schema may rely on it.
    """
    if use_case not in USE_CASES[project]:
        raise KeyError(f"project {project} has no '{use_case}' server")
    if use_case == "ops":
        return f"https://{project}-crds.stsci.edu/"
    return f"https://{project}-crds-{use_case}.stsci.edu/"


def project_of_instrument(instrument: str) -> str | None:
    """The project an instrument belongs to (case-insensitive), or None when unknown."""
    wanted = instrument.strip().lower()
    for project, instruments in INSTRUMENTS.items():
        if wanted in instruments:
            return project
    return None
