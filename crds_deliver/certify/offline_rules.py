"""The offline rmap object that deep checks insert each file into (imports crds: import lazily).

crds's `ReferenceMapping.insert` inserts into a copy, and its `copy` formats the rmap as text
and parses that text again, through crds's checker of mapping syntax: 0.8 ms a file, a third
of a small file's deep check once crds no longer reads the file (plain_fits.py). An insertion
changes only the copy's selector, and the offline rmap never changes, so a copy here shares
the rmap's other attributes (its header, its parameters, the expressions crds compiled from
them) and gets a selector of its own, unpickled from the empty one the rmap was made with
(crds pickles its rmaps and selectors itself): 0.02 ms.
"""

from __future__ import annotations

import pickle

from crds.core.rmap import ReferenceMapping


class OfflineRules(ReferenceMapping):
    """A ReferenceMapping whose copies share its attributes and unpickle its first selector."""

    _pristine_selector: bytes = b""  # its copies have none, and copy themselves as crds does

    @classmethod
    def from_text(cls, text: str, name: str) -> OfflineRules:
        rules = cls.from_string(text, basename=name, ignore_checksum=True)
        rules._pristine_selector = pickle.dumps(rules.selector)
        return rules

    def copy(self) -> ReferenceMapping:
        if not self._pristine_selector:
            return super().copy()
        # Not copy.copy: crds's __setstate__ would compile the rmap's expressions again.
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        del new.__dict__["_pristine_selector"]
        new.selector = pickle.loads(self._pristine_selector)  # noqa: S301  (made above)
        return new
