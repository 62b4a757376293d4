"""crds_deliver/certify/asdf_extensions.py: asdf's extensions loaded with their manifests
parsed by libyaml are the extensions asdf loads by itself, and loading them parses none of
asdf's manifests with PyYAML's pure-Python parser (a second of CPU in every process that opens
a JWST or Roman reference)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.fixtures.installed import require

require("asdf", "yaml")

# Run in fresh interpreters: asdf keeps its extension list for the life of the process.
EXTENSIONS = """
import json, sys, yaml, asdf
pure_loads = []  # asdf's manifests parsed by PyYAML's pure-Python parser
pure = yaml.safe_load
def counted(stream):
    pure_loads.append(sys._getframe(1).f_code.co_filename.endswith("_manifest.py"))
    return pure(stream)
yaml.safe_load = counted
if sys.argv[1] == "ours":
    from crds_deliver.certify.asdf_extensions import load_extensions
    load_extensions()
    from asdf.extension import _manifest
    assert _manifest.yaml is yaml, "the manifest module keeps its yaml module"
extensions = asdf.get_config().extensions
print(json.dumps({"uris": [e.extension_uri for e in extensions], "pure_loads": sum(pure_loads)}))
"""


def _extensions(how: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", EXTENSIONS, how], capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_the_same_extensions_load_without_the_pure_python_parser() -> None:
    asdf_alone, ours = _extensions("asdf"), _extensions("ours")
    assert asdf_alone["pure_loads"] > 10, asdf_alone  # what the module saves: its premise
    assert ours["pure_loads"] == 0, ours
    assert ours["uris"] == asdf_alone["uris"]


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
