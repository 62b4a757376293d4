"""The YAML loader and dumper crds-deliver reads and writes with.

libyaml's C parser and emitter where PyYAML has them, with the safe constructors and
representers: the same nodes, marks, values and text as the pure-Python SafeLoader/SafeDumper
(tests/test_record.py compares), several times faster. Manifests are validated on every
pre-commit, and apply rewrites a 200-file record every second while the server reports.
"""

from __future__ import annotations

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
