"""`Delivery` offline: built from values or loaded, validated, planned, saved, shown."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from crds_deliver import Delivery, DeliveryError
from crds_deliver.cli import app
from crds_deliver.problems import Severity
from tests.api.conftest import EXAMPLE
from tests.fixtures.cli_process import run_command


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The real command line in a child process, as a user or CI runs it."""
    return run_command(args)


def test_plan_of_a_loaded_manifest_is_what_plan_json_prints(example: Path) -> None:
    printed = _cli("plan", "--format", "json", str(example))
    assert printed.returncode == 0, printed.stderr
    planned = Delivery.load(example).plan()
    assert planned.json() == printed.stdout.rstrip("\n")
    assert json.loads(printed.stdout)["manifests"] == [planned.to_dict()]
    assert planned.action == "DELIVER" and len(planned.files) == 2


def test_plan_text_is_what_plan_prints(example: Path) -> None:
    printed = _cli("plan", str(example))
    assert str(Delivery.load(example).plan()) == printed.stdout


def test_built_from_values_then_saved_is_a_valid_manifest(notebook: Path, form) -> None:
    delivery = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"],
                        form=form, options={"auto_confirm": False})
    assert not delivery.saved and delivery.validate() == []
    target = notebook / "manifests" / "darks.yaml"
    assert delivery.save(target) == target
    checked = _cli("validate", str(target))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "1 manifest checked, all valid\n"
    again = Delivery.load(target)
    assert again.form == delivery.form and again.files == ["../jwst_miri_dark_*.fits"]
    assert again.options["files_root"] == ".."  # the notebook folder is not a repository
    assert again.plan().action == "DELIVER"


def test_files_inside_a_repository_need_no_files_root(notebook: Path, form) -> None:
    (notebook / ".git").mkdir()  # the notebook folder is a repository's top level
    delivery = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_0001.fits"],
                        form=form)
    assert delivery.options["files_root"] is None
    assert delivery.files == ["../jwst_miri_dark_0001.fits"]
    assert delivery.path.parent == notebook / "crds-deliveries"


def test_an_unsaved_delivery_plans_from_where_it_will_be_saved(notebook: Path, form) -> None:
    planned = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"],
                       form=form).plan()
    assert planned.action == "DELIVER", str(planned)
    assert [f.path for f in planned.files] == ["../jwst_miri_dark_0001.fits",
                                               "../jwst_miri_dark_0002.fits"]
    assert not (notebook / "crds-deliveries").exists()  # planning writes nothing


def test_wrong_fields_and_values_raise_one_error_naming_every_field(notebook: Path,
                                                                    form) -> None:
    wrong = dict(form, instrument="mirix", history_updated="maybe", colour="blue",
                 change_level=np.float32(1.0))
    del wrong["deliverer"]
    with pytest.raises(DeliveryError) as raised:
        Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"], form=wrong)
    error = raised.value
    assert not isinstance(error, KeyError)
    assert {p.field for p in error.problems} == {"form.change_level"}  # YAML cannot hold it
    with pytest.raises(DeliveryError) as raised:
        Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"],
                 form=dict(wrong, change_level="SEVERE"))
    fields = {p.field for p in raised.value.problems}
    assert fields == {"form", "form.instrument", "form.history_updated", "form.colour"}
    text = str(raised.value)
    assert "4 problem(s)" in text and "missing required field 'deliverer'" in text
    assert "form.colour: unknown key" in text and "'mirix' is not an instrument" in text
    assert all(p.line is None for p in raised.value.problems)  # no line of a file to point at


def test_wrong_shapes_are_problems_too(notebook: Path, form) -> None:
    with pytest.raises(DeliveryError) as raised:
        Delivery(project="jwst", server=3, files=[1, "x.fits"], form="deliverer=Jane")
    fields = {p.field for p in raised.value.problems}
    assert fields == {"files[0]", "form"}  # server=3 is caught by the schema next
    with pytest.raises(DeliveryError) as raised:
        Delivery(project="jwst", server=3, files=["x.fits"], form=form)
    assert {p.field for p in raised.value.problems} == {"server"}


def test_a_loaded_invalid_manifest_reports_instead_of_raising(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("instrument: miri", "instrument: mirix"))
    delivery = Delivery.load(broken)
    problems = delivery.validate()
    assert [(p.line, p.field) for p in problems] == [(11, "form.instrument")]
    assert delivery.plan().action == "REFUSE"
    with pytest.raises(DeliveryError, match="is not a valid manifest"):
        delivery.apply(sandbox=True)
    assert "invalid" in repr(delivery) and "mirix" in delivery._repr_html_()


def test_validate_through_the_api_is_what_the_cli_reports(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("deliverer: Jane Doe", "deliverer: ''"))
    result = CliRunner().invoke(app, ["validate", "--format", "json", str(broken)])
    assert result.exit_code == 1
    reported = json.loads(result.stdout)
    expected = [p.to_dict() for p in Delivery.load(broken).validate()]
    assert json.dumps(reported).count("deliverer") >= 1
    assert expected and all(item in json.dumps(reported) for item in
                            (p["message"] for p in expected))


def test_save_never_replaces_another_file(notebook: Path, form) -> None:
    target = notebook / "delivery.yaml"
    target.write_text("something else\n")
    delivery = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"],
                        form=form)
    with pytest.raises(DeliveryError, match="a different file is already there"):
        delivery.save(target)
    assert target.read_text() == "something else\n"
    delivery.save(target, overwrite=True)
    assert Delivery.load(target).validate() == []


def test_default_names_do_not_collide(notebook: Path, form) -> None:
    first = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_0001.fits"],
                     form=form, name="darks")
    second = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_0002.fits"],
                      form=form, name="darks")
    assert first.save().name == "darks.yaml"
    assert second.save().name == "darks-2.yaml"
    assert second.path.name == "darks-2.yaml"


def test_plan_and_delivery_render_as_html_and_text(notebook: Path, form) -> None:
    delivery = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"],
                        form=form, name="darks")
    planned = delivery.plan()
    shown = planned._repr_html_()
    assert shown.count("<tr>") == 3 and "jwst_miri_dark_0002.fits" in shown
    assert "<b>DELIVER</b>" in shown
    assert f"<Plan {delivery.path}: DELIVER, 2 file(s), 0 error(s)" in repr(planned)
    assert "DELIVER jwst miri → bit" in str(planned)
    assert "not saved" in repr(delivery) and "<table>" in delivery._repr_html_()
    marked = Delivery(project="jwst", server="bit", files=["jwst_miri_dark_*.fits"],
                      form=dict(form, additional_considerations="a <b>bold</b> claim"))
    assert "a &lt;b&gt;bold&lt;/b&gt; claim" in marked._repr_html_()


def test_findings_carry_their_severity(notebook: Path, form) -> None:
    (notebook / "jwst_miri_dark_0003.fits").write_bytes(b"not a FITS file")
    planned = Delivery(project="jwst", server="bit", files=["*.fits"], form=form).plan()
    assert planned.action == "REFUSE" and planned.has_errors
    assert any(f.severity is Severity.ERROR and "0003" in f.file for f in planned.findings)
    assert any("jwst_miri_dark_0003.fits" in line for line in planned.error_lines())


def test_a_loaded_manifest_saved_elsewhere_still_finds_its_files(tmp_path: Path,
                                                                 example: Path) -> None:
    copy = tmp_path / "elsewhere" / "darks.yaml"
    Delivery.load(example).save(copy)
    moved = Delivery.load(copy)
    assert moved.validate() == []
    [glob] = moved.files
    assert glob == "../examples/jwst/miri/refs/jwst_miri_dark_*.fits"
    assert moved.options["files_root"] == "../examples/jwst/miri/refs"  # no repository here
    planned = moved.plan()
    assert planned.action == "DELIVER", str(planned)
    assert [f.sha256 for f in planned.files] == [
        f.sha256 for f in Delivery.load(example).plan().files]
