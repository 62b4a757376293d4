"""The result record (state machine, atomic writes, schema, edited manifests) and the lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from crds_deliver.lock import DeliveryLock, LockedError, lock_path
from crds_deliver.manifest import load_manifest
from crds_deliver.record import (
    Record,
    RecordError,
    State,
    edited_problem,
    read_state,
    record_path,
    schema_errors,
)
from tests.fixtures.fits import manifest_text

SHA1 = "a" * 40
SHA256 = "b" * 64


def _data(manifest_digest: str = SHA256) -> dict:
    return {
        "format": "crds-deliver-result/1", "state": None,
        "manifest": {"path": "d.yaml", "digest": manifest_digest},
        "tool": {"name": "crds-deliver", "version": "0.1.0"}, "project": "jwst",
        "instrument": "miri", "username": "jdoe",
        "server": {"url": "https://jwst-crds-bit.stsci.edu/", "sandbox": False,
                   "use_case": "bit"},
        "context": {"requested": "jwst-edit", "resolved": "jwst_0101.pmap",
                    "pmap_mode": "pmap_edit"},
        "files": [{"path": "refs/a.fits", "name": "a.fits", "size": 1, "sha1": SHA1,
                   "sha256": SHA256, "official_name": None, "status": None}],
        "findings": [], "submission": {"channel": "k", "results_id": None,
                                       "results_url": None, "server_status": None},
        "messages": [], "file_map": {"references": {}, "mappings": {}, "new_mappings": []},
        "error": None, "transitions": [], "created": "2026-11-28T00:00:00+00:00",
    }


def _manifest(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(manifest_text("jwst", "miri", "DARK", ["refs/*.fits"]))
    return path


def test_transitions_are_saved_atomically_and_validate(tmp_path):
    path = _manifest(tmp_path)
    record = Record(path, _data())
    record.transition(State.SUBMITTING)
    assert read_state(path) is State.SUBMITTING
    record.transition(State.SUBMITTED, submission={"results_id": "r1", "channel": None})
    record.transition(State.READY)
    record.transition(State.CONFIRMED)
    loaded = Record.load(path)
    assert loaded.state is State.CONFIRMED and loaded.results_id == "r1"
    assert [t["state"] for t in loaded.data["transitions"]] == [
        "SUBMITTING", "SUBMITTED", "READY", "CONFIRMED"]
    assert schema_errors(loaded.data) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.result.yaml", "d.yaml"]


def test_impossible_transitions_raise(tmp_path):
    record = Record(_manifest(tmp_path), _data())
    with pytest.raises(RecordError, match="cannot go from new to READY"):
        record.transition(State.READY)
    record.transition(State.SUBMITTING)
    with pytest.raises(RecordError):
        record.transition(State.CONFIRMED)
    assert read_state(record.manifest_path) is State.SUBMITTING


def test_schema_rejects_a_token_field():
    data = dict(_data(), state="READY", transitions=[{"state": "READY",
                                                      "time": "2026-11-28T00:00:00+00:00"}],
                updated="2026-11-28T00:00:00+00:00")
    assert schema_errors(data) == []
    data["token"] = "0123456789abcdef0123456789abcdef"
    assert any("token" in e for e in schema_errors(data))


def test_edited_manifest_is_a_problem(tmp_path):
    path = _manifest(tmp_path)
    manifest = load_manifest(path).manifest
    record = Record(path, _data(manifest.digest))
    record.transition(State.SUBMITTING)
    assert edited_problem(manifest) is None
    path.write_text(path.read_text().replace("SEVERE", "MODERATE"))
    edited = load_manifest(path).manifest
    assert "edited while its delivery is SUBMITTING" in edited_problem(edited).message
    record.transition(State.FAILED)
    assert "edited after its delivery ended in FAILED" in edited_problem(edited).message


def test_unreadable_record(tmp_path):
    path = _manifest(tmp_path)
    record_path(path).write_text("state: [unclosed")
    with pytest.raises(RecordError):
        Record.load(path)


def test_second_lock_fails_fast_and_waits_with_wait(tmp_path):
    path = _manifest(tmp_path)
    with DeliveryLock(path):
        holder = json.loads(lock_path(path).read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(LockedError, match="another apply is running"):
            DeliveryLock(path).acquire()
        waiter = DeliveryLock(path, wait=True, poll_seconds=0.05, timeout_seconds=0.2)
        with pytest.raises(LockedError):
            waiter.acquire()
    assert not lock_path(path).exists()

    first = DeliveryLock(path)
    first.acquire()
    threading.Timer(0.2, first.release).start()
    notes: list[str] = []
    with DeliveryLock(path, wait=True, poll_seconds=0.05, on_message=notes.append):
        assert any("waiting" in n for n in notes)


def test_stale_lock_of_a_dead_process_is_recovered(tmp_path):
    path = _manifest(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(path).write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(),
                                           "time": "2026-11-28T00:00:00+00:00"}))
    notes: list[str] = []
    with DeliveryLock(path, on_message=notes.append):
        assert json.loads(lock_path(path).read_text())["pid"] == os.getpid()
    assert any("stale lock" in n for n in notes)


def test_lock_of_another_host_is_not_taken(tmp_path):
    path = _manifest(tmp_path)
    lock_path(path).write_text(json.dumps({"pid": 1, "host": "elsewhere", "time": "t"}))
    start = time.monotonic()
    with pytest.raises(LockedError, match="elsewhere"):
        DeliveryLock(path).acquire()
    assert time.monotonic() - start < 5


def test_records_are_written_and_read_as_the_pure_python_yaml_would(tmp_path) -> None:
    """Records go through libyaml's C emitter and parser (when PyYAML has them) for speed:
    the text must be what safe_dump writes, and reading it back gives what safe_load gives,
    for the awkward values a record holds (long lines, quotes, colons, accents, newlines,
    numbers in strings, empty and null values)."""
    import yaml

    from crds_deliver.fast_yaml import DUMPER, LOADER

    if DUMPER is yaml.SafeDumper:
        pytest.skip("this PyYAML has no libyaml")
    manifest = tmp_path / "delivery.yaml"
    manifest.write_text("x: 1\n")
    record = Record(manifest, {
        "format": "crds-deliver-result/1", "state": "READY", "count": 3, "none": None,
        "files": [{"path": "refs/a b.fits", "sha1": "0123", "size": 10**12, "status": ""}],
        "messages": [{"id": i, "type": "log_message", "text": text} for i, text in enumerate([
            "Processing ReDCaT submission of 2 file(s) by 'jdoe' relative to 'jwst_1.pmap'.",
            "ERROR: instrument='MIRI' type='DARK' data='x.fits' ::  Value 'FOO' : not in "
            + "['A', 'B'] " * 20, "Renamed 'a.fits' --> 'jwst_miri_dark_0001.fits'",
            "Jérôme's flat: 5% noisier\nsecond line\twith a tab", "yes", "1e3", "- dash",
            "key: value", "# not a comment", "", "   padded   "])],
    })
    record.save()
    text = record.path.read_text(encoding="utf-8")
    pure = yaml.safe_dump(record.data, sort_keys=False, allow_unicode=True, width=100)
    assert text == pure
    assert yaml.load(text, Loader=LOADER) == yaml.safe_load(text) == record.data
