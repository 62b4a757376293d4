"""The offline rmap object that deep checks insert each file into (imports crds: import lazily).

crds's `ReferenceMapping.insert` inserts into a copy, and its `copy` formats the rmap as text
and parses that text again, through crds's checker of mapping syntax: 0.8 ms a file, a third
of a small file's deep check once crds no longer reads the file (plain_fits.py). An insertion
changes only the copy's selector, and the offline rmap never changes, so a copy here shares
the rmap's other attributes (its header, its parameters, the expressions crds compiled from
them) and gets a selector of its own, unpickled from the empty one the rmap was made with
(crds pickles its rmaps and selectors itself): 0.02 ms.

A deep check inserts each file only to see whether crds refuses it (`check_insertion`). In an
rmap of Match then UseAfter selectors, crds validates the Match values against the type's
`_ld.tpn` lists and builds the UseAfter selector without looking at its date (an UNDEFINED or
unparsable DATE-OBS inserts as well as a good one): whether an insertion succeeds depends on
the Match values alone. Each rmap remembers the Match values it accepted, and a later file with
the same ones is not inserted again: the insertion was 30% of a small HST file's deep check,
and the files of one delivery mostly share their Match values.
"""

from __future__ import annotations

import pickle

from crds.core import config
from crds.core.rmap import ReferenceMapping

# A bound for a process that checks files for a long time (the sandbox, a notebook).
_REMEMBERED_PER_RMAP = 4096


class OfflineRules(ReferenceMapping):
    """A ReferenceMapping whose copies share its attributes and unpickle its first selector."""

    _pristine_selector: bytes = b""  # its copies have none, and copy themselves as crds does
    _accepted: set[tuple[object, ...]]
    # The Match keywords, when they decide an insertion (copies: None, nothing remembered).
    _match_names: tuple[str, ...] | None = None

    @classmethod
    def from_text(cls, text: str, name: str) -> OfflineRules:
        rules = cls.from_string(text, basename=name, ignore_checksum=True)
        rules._pristine_selector = pickle.dumps(rules.selector)
        rules._accepted = set()
        parkey, classes = rules.selector.parkey, rules.selector.class_list
        simple = (classes == ("Match", "UseAfter") and len(parkey) == 2
                  and rules._rmap_update_headers is None)  # no header variations of crds's
        rules._match_names = tuple(parkey[0]) if simple else None
        return rules

    def check_insertion(self, header: dict[str, str], reffile: str) -> None:
        """Raise what crds raises when it cannot insert `reffile` with the dataset keywords
        `header` into this rmap (`insert_header_reference`); return when it can."""
        key = self._match_values(header)
        if key is not None and key in self._accepted:
            return
        self.insert_header_reference(header, reffile)
        if key is not None:
            if len(self._accepted) >= _REMEMBERED_PER_RMAP:
                self._accepted.clear()
            self._accepted.add(key)

    def _match_values(self, header: dict[str, str]) -> tuple[object, ...] | None:
        """What an insertion's success depends on (see the module's docstring), or None where
        that is more (a missing keyword or a value that is not text, or an rmap whose
        `_match_names` say it is not that simple)."""
        if self._match_names is None:
            return None
        values = tuple(header.get(name) for name in self._match_names)
        if not all(isinstance(value, str) for value in values):
            return None
        return (bool(config.ALLOW_BAD_PARKEY_VALUES), *values)

    def copy(self) -> ReferenceMapping:
        if not self._pristine_selector:
            return super().copy()
        # Not copy.copy: crds's __setstate__ would compile the rmap's expressions again.
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for own in ("_pristine_selector", "_accepted", "_match_names"):
            del new.__dict__[own]
        new.selector = pickle.loads(self._pristine_selector)  # noqa: S301  (made above)
        return new
