"""Stand-ins for crds functions that a deep-check worker calls for every file: its per-value
header functions, remembered value by value, and its cached calls and header reads, answered
without the bookkeeping around them.

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

The same guard (SOURCES) covers crds's memo of its own cached functions (`utils.cached`, about
20 calls a file: its file properties, its header reads, its locators). Each call builds its key
from the arguments through two list comprehensions, then formats the key for a debug message
that crds shows only at verbosity 80: the stand-in takes the common call (positional arguments,
none left out of the key, verbosity below 80), whose key is the arguments as they are, and
leaves every other call to crds's own code. 8-14% of a small HST file's check (a worker's check
of a 64x64 bias, 100 new files a round, 10 rounds alternating in one process: 1.362 -> 1.155
ms, and 0.841 -> 0.768 ms an hour later).

crds's `data_file.get_header` reads a header from its cache (`get_free_header`) inside a
warnings context of its own, set up and torn down for every call (filters, a datamodels
import, a configuration read), so that a read's warnings become crds's; a deep check asks twice
for a header already cached (the certifier's load, the rmap insertion). The stand-in answers
from the cache, where nothing can warn, and leaves every read that is not cached to crds's
own: 5% of a small HST file's check (0.847 -> 0.819 ms, as above).

A check also works two things out twice: the file's instrument and type
(`utils.get_file_properties`: deep.py picks the rmap with them, then crds's certifier asks
again), and the USEAFTER date in crds's standard form (`timestamp.reformat_date`, when the
certifier and then the rmap turn the header into dataset keywords). The properties are kept
for the file being checked (deep.py's `_forget` clears them with crds's own caches after each
file); a date string's form, a pure function of the text, is remembered. 5.5-6% of a small
HST file's check (0.659 -> 0.606 ms, 1.019 -> 0.796 ms; ratios 0.945, 0.940, as above).

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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crds.core.log import CrdsLogger
    from crds.core.utils import CachedFunction

# sha256 of the source of each crds function the stand-ins were checked against (crds 14.0.3).
SOURCES: dict[str, str] = {
    "crds.core.utils.CachedFunction.__call__":
        "2407e3c4e41e8f759039c39b60ea836fda90a5d936a129f43503214a744e49b2",
    "crds.core.utils.CachedFunction.readonly":
        "de61ca19f6162c1755849633b9465fdb40075b721602c2b2efedcc60f268b18e",
    "crds.core.utils.CachedFunction._readonly":
        "4eb2047ac3ca4da30a336cee674094f3caf09d719ae8a21e5c71015400c252be",
    "crds.core.utils.CachedFunction.cache_key":
        "0bbe7ecc21d8664a05e013778407ed3ce08adab70b30aa73ac2632ff81a3ed63",
    "crds.data_file.get_header":
        "9f2d413c613f5535527192ef4fb8ae33a669a421ff571f4a930255fd80debe75",
    "crds.data_file.get_free_header.uncached":
        "81395e62cf594ad9d78bbc3aad0398a48623a8c6e22a64bcb40b56ae2b8cd24e",
    "crds.io.abstract.hijack_warnings":
        "f097cb9ce2f4e686d57297a83d2658b7d8a8ee14444c3d1e8ac942e5f78a37b3",
    "crds.core.utils.get_file_properties":
        "ba524129771e61efbd3a84637d67cbd9a898cdc365e1fafc9b3b386b65f256df",
    "crds.core.timestamp.reformat_date":
        "35da9936d86a3b2f46b9ce09e7fe40a209c3e8122514e6f011fb76e658556882",
    "crds.core.timestamp.parse_date":
        "5f93cbd6a4a6252deecad5bfce088340d8c6190de34789890f23534019be67b9",
    "crds.core.timestamp.format_date":
        "358867223e09a4d3749d521aeeb4249907a9ebc1147173c9fa97a57516614453",
    "crds.core.timestamp.parse_alphabetical_date":
        "8d8ef0a7e3e5056684dd7dbf01d90ff7807f885dd73020c5c827b14f559a39b8",
    "crds.core.timestamp.parse_numerical_date":
        "c61329099c2621dfe312c663d88f5e75483b0205565dfc7e458f7cd23b2e78c0",
    "crds.core.timestamp.parse_time":
        "a4babd32577bc9a64c6bf377b2e182504537f7624a0e984f3e3e5b93b8ea6b5c",
    "crds.core.timestamp.month_num":
        "a4e2fa5dc184eedbdb1b504ae9a792e90db7311401f8d0b8c3ae7c23b0554463",
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
    return {name: hashlib.sha256(inspect.getsource(_named(name)).encode()).hexdigest()
            for name in SOURCES}


def _named(name: str) -> object:
    """The function `name` names: a module's, or an attribute of one of a module's objects
    (a method of its class, the function a CachedFunction wraps)."""
    module, _, function = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), function)
    except ModuleNotFoundError:
        return getattr(_named(module), function)


# crds's CachedFunction logs each call's key at this verbosity (crds.core.utils).
_CACHED_CALL_VERBOSITY = 80


def quiet_cached_call(readonly: Callable[..., tuple[object, object]],
                      logger: CrdsLogger) -> Callable[..., tuple[object, object]]:
    """crds's `CachedFunction._readonly` (the look-up behind every cached call), with the key
    of a call made of positional arguments alone taken as those arguments, which is what
    crds's `cache_key` makes of them, and without the debug message, which `logger` would not
    show; any other call goes to crds's own."""

    def looked_up(self: CachedFunction, *args: object, **keys: object
                  ) -> tuple[object, object]:
        if keys or self.omit_from_key or logger.verbose_level >= _CACHED_CALL_VERBOSITY:
            return readonly(self, *args, **keys)
        cache = self.cache
        if args in cache:
            return args, cache[args]
        return args, self.uncached(*args)

    return looked_up


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


def cached_header_read(get_header: Callable[..., dict], cache: Mapping[tuple, dict]
                       ) -> Callable[..., dict]:
    """crds's `data_file.get_header`, answered from `cache` (its `get_free_header`'s, keyed
    by the four arguments as that function is called) when the header is there."""

    def read(filepath: str, needed_keys: tuple = (), original_name: str | None = None,
             observatory: str | None = None) -> dict:
        found = cache.get((filepath, needed_keys, original_name, observatory))
        if found is not None:
            return found
        return get_header(filepath, needed_keys, original_name, observatory)

    return read


class FileProperties:
    """crds's `utils.get_file_properties` (instrument and type of a file), worked out once per
    observatory and file name until `cache` is cleared (deep.py's `_forget`, after each file,
    since the same name may hold another file next time); a failure is not kept."""

    def __init__(self, get_file_properties: Callable[[str, str], tuple[str, str]]) -> None:
        self.uncached = get_file_properties
        self.cache: dict[tuple[str, str], tuple[str, str]] = {}

    def __call__(self, observatory: str, filename: str) -> tuple[str, str]:
        key = (observatory, filename)
        if key not in self.cache:
            self.cache[key] = self.uncached(observatory, filename)
        return self.cache[key]


def remembered_dates(reformat_date: Callable[..., str]) -> Callable[..., str]:
    """crds's `timestamp.reformat_date`, run once per date text (and separator); a datetime
    or astropy Time goes to crds's own each time, as does a text it refuses."""
    by_text = functools.lru_cache(maxsize=_KEPT)(reformat_date)

    def reformatted(date: object, sep: str = " ") -> str:
        if type(date) is str and type(sep) is str:
            return by_text(date, sep)
        return reformat_date(date, sep)

    return reformatted


def install_crds_stand_ins() -> bool:
    """Put the stand-ins in crds's place (`crds.core.utils.condition_value`, which its
    callers look up there, `crds.data_file.convert_to_eval_header`, which the certifier
    calls, the look-up of every cached function, `crds.data_file.get_header`, which the
    certifier and deep.py's rmap insertion call, `crds.core.utils.get_file_properties` and
    `crds.core.timestamp.reformat_date`); False, with crds left as it is, when its source is
    not the one checked."""
    try:
        if source_digests() != SOURCES:
            return False
    except (OSError, TypeError):  # crds installed without its sources: nothing to compare
        return False
    from crds import data_file
    from crds.core import log, timestamp, utils
    from crds.io import abstract

    utils.condition_value = remembering_condition_value(utils.condition_value)
    data_file.convert_to_eval_header = remembering_eval_header(abstract)
    utils.CachedFunction._readonly = quiet_cached_call(  # type: ignore[method-assign]
        utils.CachedFunction._readonly, log.THE_LOGGER)
    data_file.get_header = cached_header_read(data_file.get_header,
                                              data_file.get_free_header.cache)
    utils.get_file_properties = FileProperties(utils.get_file_properties)
    timestamp.reformat_date = remembered_dates(timestamp.reformat_date)
    return True


if __name__ == "__main__":
    for name, digest in source_digests().items():
        print(f'    "{name}":\n        "{digest}",')
