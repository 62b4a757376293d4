"""The offline rmap object that deep checks insert each file into (imports crds: import lazily).

crds's `ReferenceMapping.insert` inserts into a copy, and its `copy` formats the rmap as text
and parses that text again, through crds's checker of mapping syntax: 0.8 ms a file, a third
of a small file's deep check once crds no longer reads the file (plain_fits.py). The offline
rmap never changes, so its copies are made here from a pickle of it, taken once (0.2 ms):
crds pickles rmaps itself (`__getstate__` leaves out the compiled expressions, which
`__setstate__` compiles again), and a copy's insertion refuses the same values.
"""

from __future__ import annotations

import pickle

from crds.core.rmap import ReferenceMapping


class OfflineRules(ReferenceMapping):
    """A ReferenceMapping whose copies come from a pickle of its state when it was made."""

    _pristine: bytes = b""  # the copies made from it have none and copy as crds does

    @classmethod
    def from_text(cls, text: str, name: str) -> OfflineRules:
        rules = cls.from_string(text, basename=name, ignore_checksum=True)
        rules._pristine = pickle.dumps(rules)
        return rules

    def copy(self) -> ReferenceMapping:
        if not self._pristine:
            return super().copy()
        return pickle.loads(self._pristine)  # noqa: S301  (our own bytes, made above)
