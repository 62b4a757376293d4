"""`Delivery.apply/confirm/cancel` against real sandboxes (Werkzeug on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crds_deliver import Delivery, DeliveryRefused
from crds_deliver.connections import SandboxPool
from crds_deliver.record import record_path


def _darks(form: dict[str, object], **kw: object) -> Delivery:
    return Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"], form=form,
                    **kw)


def test_apply_saves_delivers_and_records_then_confirm(notebook: Path, form,
                                                        pool: SandboxPool) -> None:
    delivery = _darks(form, name="darks")
    outcome = delivery.apply(sandbox=pool)
    manifest = notebook / "crds-deliveries" / "darks.yaml"
    assert delivery.saved and delivery.path == manifest
    assert outcome.state == "READY" and outcome.changed and outcome.ready
    assert "/display_result/" in (outcome.results_url or "")
    names = outcome.file_map  # uploaded name -> the official name the server gave
    assert sorted(names) == ["jwst_miri_dark_0001.fits", "jwst_miri_dark_0002.fits"]
    assert len(set(names.values())) == 2
    assert all(name.startswith("jwst_miri_dark_") for name in names.values())
    record = yaml.safe_load(record_path(manifest).read_text())
    assert record["state"] == "READY" and record["server"]["sandbox"] is True
    assert [state for state, _ in delivery.history] == ["SUBMITTING", "SUBMITTED", "READY"]
    shown = outcome._repr_html_()
    assert "<b>READY</b>" in shown and shown.count("<tr>") == 3
    assert str(outcome).startswith(f"{manifest}: READY")

    confirmed = delivery.confirm()  # the sandbox apply used, kept by the object
    assert confirmed.state == "CONFIRMED" and delivery.record.state.value == "CONFIRMED"
    again = Delivery.load(manifest).apply(sandbox=pool)
    assert not again.changed and again.state == "CONFIRMED"
    server = pool.connection("jwst")
    assert server.url in (outcome.results_url or "")


def test_cancel_and_a_process_wide_sandbox(notebook: Path, form) -> None:
    delivery = _darks(form, options={"auto_confirm": False})
    assert delivery.apply(sandbox=True).state == "READY"
    assert delivery.cancel().state == "CANCELLED"
    assert Delivery.load(delivery.path).history[-1][0] == "CANCELLED"


def test_confirm_of_a_sandboxed_delivery_needs_its_sandbox(notebook: Path, form,
                                                           pool: SandboxPool) -> None:
    delivery = _darks(form)
    delivery.apply(sandbox=pool)
    with pytest.raises(Exception, match="was delivered to a sandbox"):
        Delivery.load(delivery.path).confirm()
    assert Delivery.load(delivery.path).confirm(sandbox=pool).state == "CONFIRMED"


def test_a_plan_with_errors_is_refused_before_the_server(notebook: Path, form,
                                                         pool: SandboxPool) -> None:
    delivery = _darks(dict(form, instrument="nircam"))  # the files are MIRI darks
    with pytest.raises(DeliveryRefused) as refused:
        delivery.apply(sandbox=pool)
    assert refused.value.plan.action == "REFUSE"
    assert any("nircam" in line.lower() for line in refused.value.plan.error_lines())
    assert "refused" in str(refused.value)
    assert not record_path(delivery.path).exists()
    assert pool.connection("jwst")  # started only now: the refused apply never needed it


def test_declined_delivery_changes_nothing(notebook: Path, form, pool: SandboxPool) -> None:
    asked: list[str] = []
    delivery = _darks(form)
    outcome = delivery.apply(sandbox=pool, yes=False,
                             ask=lambda question: asked.append(question) is not None)
    assert outcome.state is None and not outcome.changed
    assert asked and asked[0].startswith("deliver 2 file(s)")
    assert not record_path(delivery.path).exists()


def test_cli_apply_goes_through_the_api(notebook: Path, form, pool: SandboxPool,
                                        run_cli, sandbox) -> None:
    manifest = _darks(form, name="cli").save()
    result = run_cli(["apply", "--yes", manifest], sandbox=sandbox)
    assert result.exit_code == 0, result.output
    assert f"{manifest}: READY" in result.output
    assert "2 file(s) pass preflight; server " + sandbox.url in result.output
    assert Delivery.load(manifest).record.state.value == "READY"
    assert json.loads(json.dumps(Delivery.load(manifest).history))[-1][0] == "READY"


def test_history_lists_the_deliveries_of_a_folder(notebook: Path, form,
                                                  pool: SandboxPool, run_cli) -> None:
    from crds_deliver import history

    assert history(notebook) == [] and "<tbody></tbody>" in history(notebook)._repr_html_()
    first = _darks(form, name="first")
    first.apply(sandbox=pool)
    first.confirm()
    rows = history(notebook)
    assert [(r.manifest, r.state, r.files, r.sandbox) for r in rows] == [
        ("crds-deliveries/first.yaml", "CONFIRMED", 2, True)]
    assert "CONFIRMED (sandbox)" in rows._repr_html_()
    printed = run_cli(["history", notebook, "--format", "json"])
    assert json.loads(printed.output) == [row.to_dict() for row in rows]
    with pytest.raises(FileNotFoundError):
        history(notebook / "nowhere")
