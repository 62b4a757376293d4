"""Which optional packages each project's deep checks need, and what to say when they are missing.

The deep checks are the field's own validators: crds's TPN rules for every project, plus the JWST
datamodels (stdatamodels) and the Roman ones (roman_datamodels, which validate the file's tags as
asdf opens it). Without them a plan is partial, and the reviewer must be told so, once per run.
Finding a package costs a directory lookup; importing it happens only when a file needs it.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache

# project -> (the extra to install, the import names it brings)
DEEP_EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hst": ("crds", ("crds",)),
    "jwst": ("jwst", ("crds", "stdatamodels")),
    "roman": ("roman", ("crds", "roman_datamodels", "asdf")),
}


@cache
def _installed(module: str) -> bool:
    if module in sys.modules:  # imported already, or blocked (None) as tests do
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing_packages(project: str) -> list[str]:
    """The packages `project`'s deep checks need that this Python cannot import."""
    return [name for name in DEEP_EXTRAS[project][1] if not _installed(name)]


def deep_checks_available(project: str) -> bool:
    return not missing_packages(project)


def partial_plan_notice(project: str) -> str | None:
    """The warning a plan shows when `project`'s deep checks cannot run; None when they can."""
    missing = missing_packages(project)
    if not missing:
        return None
    extra = DEEP_EXTRAS[project][0]
    return (f"{project.upper()} deep checks not run ({', '.join(missing)} not installed): this "
            "plan checks structure and provenance keywords only, not CRDS's value lists, array "
            f"shapes or data models; install the {extra} extra "
            f"(pip install 'crds-deliver[{extra}]')")
