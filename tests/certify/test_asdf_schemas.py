"""asdf's schemas kept parsed in a deep-check worker (certify/asdf_schemas.py): an installed
schema is parsed once, and asdf's resolvers get the documents asdf itself would have parsed, a
fresh copy every time; a schema from a file stays asdf's. Run in a process of its own: the
change is for the process's lifetime, which this test process is not to carry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
# A schema that no installed package provides stays asdf's (which caches it itself).
import pathlib, sys
own = pathlib.Path(sys.argv[1]) / "own-1.0.0.yaml"
own.write_text("%YAML 1.1\n---\nid: own-1.0.0\ntype: object\n...\n")
url = own.as_uri()
assert schema._make_schema_loader()(url)[0] is loader(url)[0] == {"id": "own-1.0.0",
                                                                  "type": "object"}
print("ok", len(urls))
"""


def test_kept_schemas_are_the_ones_asdf_parses_each_in_a_copy_of_its_own(tmp_path: Path
                                                                        ) -> None:
    done = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok ")
