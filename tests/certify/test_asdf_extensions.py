"""crds_deliver/certify/asdf_extensions.py: asdf's extensions loaded with their manifests
parsed by libyaml are the extensions asdf loads by itself, and loading them parses none of
asdf's manifests with PyYAML's pure-Python parser (a second of CPU in every process that opens
a JWST or Roman reference)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.fork_client import run_to_end
from tests.fixtures.installed import require

require("asdf", "yaml")

# In a fresh interpreter, since asdf keeps its extension list for the life of the process: one
# manifest read the way asdf reads them (the premise: with the pure-Python parser), then every
# extension loaded by load_extensions.
OURS = """
import json, sys, yaml, asdf
from asdf.extension import ManifestExtension, _manifest
from crds_deliver.certify.asdf_extensions import load_extensions
pure_loads = []  # asdf's manifests parsed by PyYAML's pure-Python parser
pure = yaml.safe_load
def counted(stream):
    pure_loads.append(sys._getframe(1).f_code.co_filename.endswith("_manifest.py"))
    return pure(stream)
yaml.safe_load = counted
ManifestExtension.from_uri("asdf://asdf-format.org/core/manifests/core-1.5.0")
asdf_alone = sum(pure_loads)
pure_loads.clear()
load_extensions()
print(json.dumps({"uris": [e.extension_uri for e in asdf.get_config().extensions],
                  "pure_loads": sum(pure_loads), "asdf_alone": asdf_alone,
                  "restored": _manifest.yaml is yaml}))
"""
# A program forked by the run's python service, where asdf loaded the extensions itself
ALONE = ("import asdf, json\n"
         "print(json.dumps([e.extension_uri for e in asdf.get_config().extensions]))")


def test_the_same_extensions_load_without_the_pure_python_parser(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", OURS], capture_output=True, text=True,
                          timeout=120, check=True)
    ours = json.loads(done.stdout)
    assert ours["asdf_alone"] == 1, ours  # what the module saves: its premise
    assert ours["pure_loads"] == 0, ours
    assert ours["restored"], "asdf's manifest module gets its yaml module back"
    code, out, err = run_to_end("python", ["-c", ALONE], os.environ, str(tmp_path), 120)
    assert code == 0, err
    assert ours["uris"] == json.loads(out)


def test_every_installed_manifest_parses_the_same_with_libyaml() -> None:
    import asdf
    import yaml
    from asdf.extension import ManifestExtension

    resources = asdf.get_config().resource_manager
    manifests = [getattr(e, "delegate", e) for e in asdf.get_config().extensions]
    manifests = [m for m in manifests if isinstance(m, ManifestExtension)]
    assert len(manifests) > 10
    for manifest in manifests:
        text = resources[manifest._manifest["id"]]
        # repr tells 1 from 1.0 and a date from its text, where == would not
        assert repr(yaml.load(text, Loader=yaml.CSafeLoader)) == \
            repr(yaml.load(text, Loader=yaml.SafeLoader)), manifest._manifest["id"]
