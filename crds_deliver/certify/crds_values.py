"""crds's per-value header functions, remembered value by value in the deep-check workers.

Why: crds's certifier conditions every value of every header it reads (`condition_value`:
upper case, numbers written as floats, the don't-care words as N/A) and converts every header
for its expressions (`convert_to_eval_header`: each value tried as an int, then as a float, a
regular expression run on each keyword). A delivery's files share nearly all their keywords
and most of their values, and the two were about a sixth of the deep check of a small file
(0.2 ms of a 64x64 bias). Both are pure, one item at a time: `condition_value` depends only on
the value's text, and the conversion of a header on each key and each value alone. Here each
item goes through crds's own function the first time, and its result is remembered.

How the header conversion is put together (numbers first, then each keyword's underscored
name added after the keys as they were) is crds's, taken as it is in the crds whose source
SOURCES names by digest; with any other crds source the stand-ins are not installed and crds
keeps its own functions. Regenerate SOURCES with `python -m crds_deliver.certify.crds_values`;
tests/certify/test_crds_values.py fails when the installed crds differs, and compares the
stand-ins with crds's functions on every corpus header and on generated values.

Installed only in a deep-check worker (deep_worker.py), a process of ours alone, as the pinned
astropy configuration is: a user's process keeps crds as it is.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
from collections.abc import Callable, Mapping
from types import ModuleType

# sha256 of the source of each crds function the stand-ins were checked against (crds 14.0.3).
SOURCES: dict[str, str] = {
    "crds.core.utils.condition_value":
        "62d8a992c4a345f9a226e67cd10562a323b6c19dae4b21dbc2e528b5be7b4702",
    "crds.io.abstract.convert_to_eval_header":
        "ed89f7e8033abedb0d30396b95c662789d48bc92a27549db2d9d83416ee986b2",
    "crds.io.abstract._destringize_numbers":
        "bbbf463b333b820361016f10341aea22620d0b0020e18336cedcdbb0d1ec5503",
    "crds.io.abstract._convert_dotted_paths":
        "26cb8e578282f891d2acee0fc42966b717fb5f0cf3ab7f273bbb3243a0f0dca4",
}

_KEPT = 8192  # items remembered per function: a delivery's distinct values, with room

Header = Mapping[str, object]


def source_digests() -> dict[str, str]:
    """The sha256 of the installed crds's source of each function SOURCES names."""
    digests = {}
    for name in SOURCES:
        module, _, function = name.rpartition(".")
        source = inspect.getsource(getattr(importlib.import_module(module), function))
        digests[name] = hashlib.sha256(source.encode()).hexdigest()
    return digests


def remembering_condition_value(condition_value: Callable[[object], str]
                                ) -> Callable[[object], str]:
    """crds's `condition_value`, run once per distinct text (it starts from `str(value)`)."""
    by_text = functools.lru_cache(maxsize=_KEPT)(condition_value)

    def conditioned(value: object) -> str:
        return by_text(str(value))

    return conditioned


def remembering_eval_header(abstract: ModuleType) -> Callable[[Header], dict[str, object]]:
    """crds's `convert_to_eval_header` from its two steps applied one item at a time:
    `_destringize_numbers` to each value, remembered by its type and value,
    and `_convert_dotted_paths` to each keyword, remembered by keyword."""

    @functools.lru_cache(maxsize=_KEPT)
    def number(kind: type, value: object) -> object:
        return abstract._destringize_numbers({"": value})[""]

    @functools.lru_cache(maxsize=_KEPT)
    def underscored(key: str) -> str:
        return list(abstract._convert_dotted_paths({key: None}))[-1]

    def one_value(value: object) -> object:
        try:
            return number(type(value), value)
        except TypeError:  # an unhashable value: as crds converts it, not remembered
            return abstract._destringize_numbers({"": value})[""]

    def convert_to_eval_header(header: Header) -> dict[str, object]:
        with_numbers = {key: one_value(value) for key, value in header.items()}
        cleaned = dict(with_numbers)
        for key, value in with_numbers.items():
            cleaned[underscored(key)] = value
        return cleaned

    return convert_to_eval_header


def remember_crds_values() -> bool:
    """Put the stand-ins in crds's place (`crds.core.utils.condition_value`, which its
    callers look up there, and `crds.data_file.convert_to_eval_header`, which the certifier
    calls); False, with crds left as it is, when its source is not the one checked."""
    try:
        if source_digests() != SOURCES:
            return False
    except (OSError, TypeError):  # crds installed without its sources: nothing to compare
        return False
    from crds import data_file
    from crds.core import utils
    from crds.io import abstract

    utils.condition_value = remembering_condition_value(utils.condition_value)
    data_file.convert_to_eval_header = remembering_eval_header(abstract)
    return True


if __name__ == "__main__":
    for name, digest in source_digests().items():
        print(f'    "{name}":\n        "{digest}",')
