"""`sandbox --from-cache`: start at a synced context and continue its serials; HST auto-rename
gives CDBS-style names; a bad cache is one clear error and leaves nothing half-seeded."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crds_deliver.rules.sync import sync_context
from crds_deliver.sandbox import Sandbox, SandboxError, SandboxSettings
from tests.fixtures.sandbox import FAST, SandboxWeb
from tests.sandbox.test_persistence_projects import _deliver


def test_a_sandbox_from_another_ones_cache_continues_it(tmp_path: Path, sandbox_factory,
                                                         jwst_ref) -> None:
    first = sandbox_factory("jwst")
    assert _deliver(SandboxWeb(first), jwst_ref("d1.fits"), "miri") == \
        "jwst_miri_dark_0002.fits"
    cache = tmp_path / "cache"
    assert sync_context(first.url, "jwst", "jwst-edit", cache) == "jwst_0002.pmap"
    shutil.copytree(first.data_dir / "jwst" / "references", cache / "references" / "jwst")
    (cache / "references" / "jwst" / "jwst_miri_dark_0002.fits").unlink()  # not all held

    second = sandbox_factory("jwst", from_cache=cache)
    assert second.catalog.edit_context == second.catalog.operational_context == \
        "jwst_0002.pmap"
    assert second.catalog.delivered("jwst_miri_dark_0001.fits") is not None  # held: served
    assert second.catalog.delivered("jwst_miri_dark_0002.fits") is None  # only named
    web = SandboxWeb(second)
    assert _deliver(web, jwst_ref("d2.fits", {"USEAFTER": "2026-03-01T00:00:00"}), "miri") \
        == "jwst_miri_dark_0003.fits"
    assert second.catalog.edit_context == "jwst_0003.pmap"
    imap = second.catalog.mapping_body("jwst_0003.pmap")["imaps"]["miri"]
    assert imap == "jwst_miri_0003.imap"
    assert second.catalog.mapping_body(imap)["rmaps"]["dark"] == "jwst_miri_dark_0003.rmap"


def test_hst_auto_rename_gives_cdbs_style_names(sandbox_factory, hst_ref) -> None:
    sb = sandbox_factory("hst")
    name = _deliver(SandboxWeb(sb), hst_ref("a1b2c3d4i_bia.fits"), "wfc3", file_type="BIAS")
    assert re.fullmatch(r"[0-9a-z]{8}i_bia\.fits", name), name
    assert sb.catalog.delivered(name)["uploaded_as"] == "a1b2c3d4i_bia.fits"


def _seed(tmp_path: Path) -> Path:
    """A cache synced from a fresh JWST sandbox."""
    sb = Sandbox(tmp_path / "origin", settings=SandboxSettings(**FAST)).start()
    try:
        sync_context(sb.url, "jwst", None, tmp_path / "cache")
    finally:
        sb.stop()
    return tmp_path / "cache"


def test_bad_caches_are_one_clear_error_and_nothing_half_seeded(tmp_path: Path) -> None:
    cache = _seed(tmp_path)
    data = tmp_path / "data"
    cases = [
        (tmp_path / "nowhere", None, "no such folder"),
        (tmp_path, None, "not a CRDS cache for jwst"),
        (cache, "jwst_0099.pmap", "does not hold jwst_0099.pmap"),
    ]
    for folder, context, expected in cases:
        with pytest.raises(SandboxError, match=expected):
            Sandbox(data, from_cache=folder, context=context)
    rmap = cache / "mappings" / "jwst" / "jwst_miri_dark_0001.rmap"
    rmap.write_text(rmap.read_text().replace("selector = Match({", "selector = Match({{"))
    with pytest.raises(SandboxError, match=r"jwst_miri_dark_0001\.rmap:\d+: does not parse"):
        Sandbox(data, from_cache=cache)
    assert not any((data / "jwst" / "mappings").iterdir())  # nothing written
    fresh = Sandbox(data)  # the folder is still usable: the bundled context
    assert fresh.catalog.edit_context == "jwst_0001.pmap"
    fresh.stop()
    with pytest.raises(SandboxError, match="already holds context jwst_0001.pmap"):
        Sandbox(data, from_cache=cache)


def test_cli_refuses_a_bad_cache_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "crds_deliver", "sandbox", "--port", "0",
                           "--data", str(tmp_path / "data"), "--from-cache",
                           str(tmp_path / "nowhere")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert f"{tmp_path / 'nowhere'}: no such folder" in done.stderr
    assert "Traceback" not in done.stderr
