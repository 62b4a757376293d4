"""asdf's schemas parsed once per deep-check worker instead of once per file.

A JWST check opens the file as a datamodel (stdatamodels), and a Roman check reads it with
roman_datamodels; both validate through asdf, and asdf makes a new schema resolver for every
validation. For every schema that the resolver meets and that comes from an installed package
(asdf's resource manager), asdf parses its YAML text again: about a third of a small MIRI
dark's check (in one process, three alternating runs of 59 files: 58-69 ms a file, 40-41 ms
with the parsed documents kept). Schemas that asdf reads from files it keeps already (its
`_load_schema` is cached). A Roman check's time does not change either way (6-11 ms a small
dark, as the machine's speed goes); a first version that copied every schema, those asdf
keeps included, made it a third slower.

`keep_parsed_schemas` makes asdf keep the installed ones too: the loader asdf makes for each
resolver is replaced by one that parses each installed schema once and hands out deep copies
of it, and leaves the others to asdf. A copy costs a few percent of a parse and gives each
validation documents of its own, as a fresh parse did (asdf copies its cached schemas for the
same reason: a consumer may change them).

Only for a process of ours alone (deep_worker.py): nothing there adds resources to asdf
after it starts, so a schema's text cannot change under the kept document. A process that
may be a user's keeps asdf as it is. Where asdf's schema module does not look as expected
(another asdf version), nothing changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache

# What asdf's schema loader returns for a URL: (the parsed document, the URL it came from).
Loaded = tuple[object, str]


def keep_parsed_schemas() -> bool:
    """Make asdf parse each installed schema once in this process; False when asdf is not
    importable or its schema module has not the loader factory this wraps."""
    try:
        from asdf import get_config, schema
    except ImportError:
        return False
    make_loader: Callable[[], Callable[[str], Loaded]] | None = getattr(
        schema, "_make_schema_loader", None)
    if make_loader is None:
        return False
    if getattr(make_loader, "keeps_parsed", False):
        return True
    own = make_loader()

    @cache
    def parsed_if_installed(url: str) -> Loaded | None:
        return own(url) if url in get_config().resource_manager else None

    def load(url: str) -> Loaded:
        found = parsed_if_installed(url)
        return own(url) if found is None else copy.deepcopy(found)

    def make_keeping_loader() -> Callable[[str], Loaded]:
        return load

    make_keeping_loader.keeps_parsed = True  # type: ignore[attr-defined]
    schema._make_schema_loader = make_keeping_loader
    return True
