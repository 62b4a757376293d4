"""The record reader on arbitrary bytes and YAML (property-based): load_record, read_state and
Record.load either return a value or raise RecordError, never anything else, so a damaged
record is reported instead of crashing a run (or being mistaken for "never applied")."""

from __future__ import annotations

import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crds_deliver.record import Record, RecordError, State, load_record, read_state, record_path

_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
              st.text(max_size=12), st.sampled_from([s.value for s in State])),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(["state", "submission", "files", "manifest",
                                                   "results_id", "messages"]),
                                  st.text(string.ascii_letters, min_size=1, max_size=6)),
                        children, max_size=5)),
    max_leaves=25)

_raw = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    _values.map(lambda v: yaml.safe_dump(v).encode()),
    st.sampled_from([b"\xff\xfe\x00s", b"state: [", b"state: !!python/object:os.system x",
                     b"&a [*a]", b"state: READY\n" + b"  " * 50 + b"- x", b"\x00" * 10,
                     b"state: " + b"[" * 200 + b"]" * 200]))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=_raw)
def test_record_readers_raise_only_record_error(tmp_path: Path, raw: bytes) -> None:
    manifest = tmp_path / "delivery.yaml"
    record_path(manifest).write_bytes(raw)
    for reader in (load_record, read_state, Record.load):
        try:
            value = reader(manifest)
        except RecordError as exc:
            assert str(record_path(manifest)) in str(exc)  # located
            continue
        if reader is read_state:
            assert value is None or isinstance(value, State)
        if reader is Record.load:
            assert value is None or isinstance(value.state, State)


def test_missing_record_means_never_applied(tmp_path: Path, ledger) -> None:
    manifest = tmp_path / "delivery.yaml"
    assert load_record(manifest) is None and read_state(manifest) is None
    assert Record.load(manifest) is None
    ledger.record_kept(True)
