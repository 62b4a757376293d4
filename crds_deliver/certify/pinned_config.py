"""astropy's configuration read once, in a process that never changes it.

Every `conf.<item>` read in astropy goes through `ConfigItem.__get__`, which looks the value up
in the configuration file's tree and validates it again: astropy.io.fits reads several items per
header card (record-valued keywords, whitespace stripping...), and in crds's certifier those
reads are a fifth of the CPU a file costs. A deep-check worker process (deep_worker.py) is ours
alone: nothing in it sets astropy configuration after it starts, and a parent's `conf.set_temp`
never reaches a separate process anyway. There, each item can be replaced by the value it has,
for the process's lifetime; the values are the ones astropy would have returned.

Not for the process that runs plan itself: a notebook or a script using our API may change
astropy's configuration while it runs.
"""

from __future__ import annotations

import sys

from astropy.config import ConfigItem, ConfigNamespace


def pin_astropy_config() -> int:
    """Replace the ConfigItems of every imported astropy `conf` namespace by their current
    values; returns how many were pinned. Call after the imports whose items should be pinned
    (later imports keep their live items)."""
    pinned = 0
    for module in list(sys.modules.values()):
        namespace = getattr(module, "conf", None)
        if not isinstance(namespace, ConfigNamespace):
            continue
        cls = type(namespace)
        for name, item in list(vars(cls).items()):
            if isinstance(item, ConfigItem):
                setattr(cls, name, item())
                pinned += 1
    return pinned
