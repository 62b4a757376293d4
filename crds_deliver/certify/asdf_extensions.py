"""asdf's extensions, loaded once per process with their manifests parsed by libyaml.

The first ASDF file a process opens (a Roman reference; for JWST, crds's certifier builds an
empty datamodel through asdf) makes asdf load every installed extension: about 60 YAML
manifests, which asdf 6 parses with `yaml.safe_load`, PyYAML's pure-Python parser. That is
about a second of CPU, half of the extensions' loading, before the first Roman or JWST
check. asdf already parses its schemas with libyaml (its loader derives from CSafeLoader);
`load_extensions` loads the extension list, which asdf then keeps for the process, with the
manifests parsed by libyaml as well. The documents are the same:
tests/certify/test_asdf_extensions.py parses every installed manifest both ways and compares.

Where asdf's manifest module does not look as expected (another asdf version) or PyYAML has
no libyaml, asdf loads its extensions itself, as it would have.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_loaded = False


class _LibyamlSafeLoad:
    """Stands in for the `yaml` module in asdf's manifest module while the extensions load:
    the one function that module calls, parsed by libyaml."""

    @staticmethod
    def safe_load(stream: Any) -> Any:  # noqa: ANN401  (a YAML document: any value)
        import yaml

        return yaml.load(stream, Loader=yaml.CSafeLoader)  # noqa: S506  (CSafeLoader is safe)


def load_extensions() -> None:
    """Load asdf's extensions now (once per process), their manifests parsed by libyaml."""
    global _loaded
    with _LOCK:
        if _loaded:
            return
        _loaded = True
        try:
            import asdf
            import yaml
            from asdf.extension import _manifest
        except ImportError:
            return
        if not getattr(yaml, "__with_libyaml__", False) or getattr(_manifest, "yaml", None) \
                is not yaml:
            return
        _manifest.yaml = _LibyamlSafeLoad
        try:
            asdf.get_config().extensions  # noqa: B018  (asdf loads and keeps them here)
        finally:
            _manifest.yaml = yaml
