"""Manifest messages that point at the fix: "did you mean" for servers, projects, instruments
and other choices; a tab named as such; a misspelt required key reported once, at its own
line, not as a missing field at its parent's."""

from __future__ import annotations

from pathlib import Path

from crds_deliver.manifest import load_manifest

TYPOS = """\
project: jwst
server: tst
files:
  - refs/*.fits
form:
  deliverr: Jane Doe
  instrument: mirri
"""


def _messages(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return [(p.line, p.message) for p in load_manifest(path).problems]


def test_close_values_get_a_did_you_mean(tmp_path: Path) -> None:
    found = _messages(tmp_path, TYPOS)
    assert any(line == 2 and message.endswith("; did you mean 'test'?")
               for line, message in found), found
    assert any(line == 7 and message.endswith("; did you mean 'miri'?")
               for line, message in found), found
    project = _messages(tmp_path, TYPOS.replace("project: jwst", "project: jwts"))
    assert (1, "project: 'jwts' is not one of hst, jwst, roman; did you mean 'jwst'?") \
        in project


def test_a_misspelt_required_key_is_reported_at_its_own_line_only(tmp_path: Path) -> None:
    found = _messages(tmp_path, TYPOS)
    assert (6, "form.deliverr: unknown key; did you mean 'deliverer'?") in found
    assert not any("missing required field 'deliverer'" in message for _, message in found)
    assert any("missing required field 'file_type'" in message for _, message in found)


def test_a_tab_is_named(tmp_path: Path) -> None:
    found = _messages(tmp_path, "project: jwst\nform:\n\tinstrument: miri\n")
    assert len(found) == 1 and found[0][0] == 3
    assert found[0][1].endswith("(a tab: YAML indents with spaces only)")
