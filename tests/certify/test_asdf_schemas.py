"""asdf's schemas kept parsed in a deep-check worker (certify/asdf_schemas.py): a schema is
parsed once, and asdf's resolvers get the documents asdf itself would have parsed, a fresh
copy every time. Run in a process of its own: the change is for
the process's lifetime, which this test process is not to carry."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("asdf")

CHECK = r"""
import asdf
from asdf import schema
from crds_deliver.certify.asdf_schemas import keep_parsed_schemas

urls = sorted(asdf.get_config().resource_manager)[::10]
assert len(urls) > 50, len(urls)
before = [schema._make_schema_loader()(url) for url in urls]
assert keep_parsed_schemas() and keep_parsed_schemas()  # a second call changes nothing
loader = schema._make_schema_loader()
first = [loader(url) for url in urls]
parses = []
parse = schema.yaml.load
schema.yaml.load = lambda *args, **kwargs: parses.append(args) or parse(*args, **kwargs)
again = [schema._make_schema_loader()(url) for url in urls]
assert not parses, "a kept schema was parsed again"
assert first == before == again
assert all(a[0] is not b[0] for a, b in zip(first, again))  # each validation its own copy
resolver = schema._make_jsonschema_refresolver()
assert resolver.resolve_from_url(urls[0]) == before[0][0]
print("ok", len(urls))
"""


def test_kept_schemas_are_the_ones_asdf_parses_each_in_a_copy_of_its_own() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok ")
