"""`crds-deliver new`: a manifest with every form field that validates once its required fields
are filled, a schema line editors use, and never an overwrite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from crds_deliver.formspec import all_fields
from crds_deliver.manifest import load_manifest
from crds_deliver.scaffold import bundled_schema_path

FILLED = {
    'deliverer: ""': "deliverer: Jane Doe",
    'file_type: ""': "file_type: DARK",
    'calpipe_version: ""': "calpipe_version: jwst 1.19.1",
    'modes_affected: ""': "modes_affected: all imager modes",
    'correctness_testing: ""': "correctness_testing: ran the pipeline on 20 exposures",
    'description: ""': "description: New MIRI darks",
}


def _fill(path: Path, replacements: dict[str, str]) -> None:
    text = path.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)


def test_new_manifest_validates_once_required_fields_are_filled(cli, tmp_path: Path) -> None:
    result = cli("new", "d/miri.yaml", "--project", "jwst", "--instrument", "MIRI",
                 "--files", "refs/*.fits", "--no-interactive", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "d/miri.yaml"
    assert result.stdout.startswith(
        "wrote d/miri.yaml\nnote: files[0]: '../refs/*.fits' matches no file\n"
        "note: --files is read from the current folder and written relative to the manifest's\n"
        "still to fill in before it validates:")
    problems = load_manifest(path).problems
    assert sorted(p.field for p in problems) == sorted(
        f"form.{key.split(':')[0]}" for key in FILLED)
    assert cli("validate", str(path)).exit_code == 1
    _fill(path, FILLED)
    assert load_manifest(path).problems == []
    assert cli("validate", str(path)).exit_code == 0


def test_files_are_read_from_the_current_folder_and_written_from_the_manifests(
        cli, tmp_path: Path) -> None:
    """--files as the shell completes it (from where the command runs, or absolute) becomes
    the glob the manifest reads from its own folder; one that matches nothing is pointed at;
    files outside the repository get the files_root that lets plan read them, as the Python
    API writes it."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    refs = repo / "d/refs"
    refs.mkdir(parents=True)
    (refs / "jwst_miri_dark_0001.fits").write_bytes(b"")
    result = cli("new", "d/miri.yaml", "-i", "miri", "--files", "d/refs/*.fits",
                 "--files", str(refs / "jwst_miri_dark_0001.fits"), "--files", "refs/*.fits",
                 "--no-interactive", cwd=repo)
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load((repo / "d/miri.yaml").read_text())
    assert data["files"] == ["refs/*.fits", "refs/jwst_miri_dark_0001.fits", "../refs/*.fits"]
    assert "files_root" not in data["options"]
    assert [line for line in result.stdout.splitlines() if line.startswith("note:")] == [
        "note: files[2]: '../refs/*.fits' matches no file",
        "note: --files is read from the current folder and written relative to the manifest's"]

    shared = tmp_path / "shared/darks"
    shared.mkdir(parents=True)
    (shared / "jwst_miri_dark_0002.fits").write_bytes(b"")
    assert cli("new", "d/out.yaml", "-i", "miri", "--files", f"{shared}/*.fits",
               "--no-interactive", cwd=repo).exit_code == 0
    data = yaml.safe_load((repo / "d/out.yaml").read_text())
    assert data["files"] == ["../../shared/darks/*.fits"]
    assert data["options"]["files_root"] == "../../shared/darks"


def test_the_notes_on_files_are_what_plan_will_say(cli, tmp_path: Path) -> None:
    """A glob matching only a folder matches no file for plan, and two files of one name
    would replace each other at the server: `new` says so, from plan's own resolution."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "refs/sub").mkdir(parents=True)
    for folder in ("a", "b"):
        (repo / folder).mkdir()
        (repo / folder / "jwst_miri_dark_0001.fits").write_bytes(b"")
    result = cli("new", "miri.yaml", "-i", "miri", "--files", "refs/*", "--files", "a/*.fits",
                 "--files", "b/*.fits", "--no-interactive", cwd=repo)
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stdout.splitlines() if line.startswith("note:")]
    assert notes[0] == "note: files[0]: 'refs/*' matches no file"
    assert "have the same name 'jwst_miri_dark_0001.fits'" in notes[1]
    assert len(notes) == 3


def test_every_form_field_is_written_with_its_default(cli, tmp_path: Path) -> None:
    assert cli("new", "m.yaml", "-i", "acs", "--no-interactive", cwd=tmp_path).exit_code == 0
    text = (tmp_path / "m.yaml").read_text()
    data = yaml.safe_load(text)
    assert data["project"] == "hst"  # inferred from the instrument
    assert data["server"] == "test"
    assert data["files"] == []
    written = data["form"]
    for spec in all_fields("hst"):
        if spec.key == "creator":
            assert "creator" not in written and "  # creator:" in text
            continue
        expected = spec.initial if spec.initial is not None else ""
        if spec.key == "instrument":
            expected = "acs"
        assert written[spec.key] == expected, spec.key
        line = next(x for x in text.splitlines() if x.startswith(f"  {spec.key}:"))
        assert ("# required" in line) == spec.required, line
    assert data["options"] == {"auto_confirm": False, "auto_rename": True,
                               "compare_old_reference": True, "ingest": "wipe"}


def test_schema_line_points_at_a_schema_editors_can_open(cli, tmp_path: Path) -> None:
    assert cli("new", "a/b/m.yaml", "-i", "nircam", "--no-interactive",
               cwd=tmp_path).exit_code == 0
    first = (tmp_path / "a/b/m.yaml").read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    ref = first.split("$schema=", 1)[1]
    installed = (tmp_path / "a/b" / ref).resolve()
    assert json.loads(installed.read_text())["title"] == "CRDS delivery manifest"
    # A delivery repository that keeps its own copy of the schema is preferred.
    (tmp_path / "schemas").mkdir()
    shutil.copy(installed, tmp_path / "schemas/delivery.schema.json")
    assert cli("new", "a/b/n.yaml", "-i", "nircam", "--no-interactive",
               cwd=tmp_path).exit_code == 0
    first = (tmp_path / "a/b/n.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/delivery.schema.json"


def test_default_path_and_folder_path(cli, tmp_path: Path) -> None:
    result = cli("new", "-i", "wfi", "--no-interactive", cwd=tmp_path)
    assert result.exit_code == 0
    written = list((tmp_path / "manifests/roman/wfi").glob("*-wfi-delivery.yaml"))
    assert len(written) == 1
    (tmp_path / "here").mkdir()
    assert cli("new", "here", "-i", "wfi", "--no-interactive", cwd=tmp_path).exit_code == 0
    assert [p.name for p in (tmp_path / "here").iterdir()] == [written[0].name]


def test_never_overwrites(cli, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("mine\n")
    result = cli("new", str(path), "-i", "miri", "--no-interactive")
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert path.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "m.yaml"]


@pytest.mark.parametrize(("args", "message"), [
    (["-i", "miri", "-p", "hst"], "'miri' is not an instrument of hst"),
    (["-i", "nocam"], "unknown instrument 'nocam'"),
    (["-i", "wfi", "-s", "bit"],
     "--server bit: expected one of ops, test, dev, int, tvac or an https URL"),
    (["-i", "wfi", "m.txt"], "a manifest's name ends in .yaml or .yml"),
    (["-i", "wfi", "-s", "http://crds.example.org/"], "--server: refusing plain http"),
])
def test_bad_arguments_are_usage_errors(cli, tmp_path: Path, args: list[str],
                                        message: str) -> None:
    result = cli("new", *args, "--no-interactive", cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_interactive_questions_fill_the_required_fields(cli, tmp_path: Path) -> None:
    answers = [
        "refs/*.fits, more/*.fits",      # files
        "Jane Doe",                      # deliverer
        "DARK",                          # file_type
        "yes",                           # useafter_matches (any case)
        "maybe", "no",                   # compliance_verified: refused, then accepted
        "jwst 1.19.1",                   # calpipe_version
        "",                              # replacing_badfiles: default N/A
        "all modes",                     # modes_affected
        "",                              # correctness_testing: left for later
        "trivial",                       # change_level
        "darks!", "New darks",           # description: refused, then accepted
    ]
    result = cli("new", "m.yaml", "-i", "miri", "--interactive", cwd=tmp_path,
                 input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.stdout
    assert "expected one of N/A, No, Yes" in result.stdout
    assert "only letters, digits" in result.stdout
    data = yaml.safe_load((tmp_path / "m.yaml").read_text())
    assert data["files"] == ["refs/*.fits", "more/*.fits"]
    form = data["form"]
    assert (form["deliverer"], form["useafter_matches"], form["compliance_verified"],
            form["replacing_badfiles"], form["change_level"], form["description"]) == (
        "Jane Doe", "Yes", "No", "N/A", "TRIVIAL", "New darks")
    problems = load_manifest(tmp_path / "m.yaml").problems
    assert [p.field for p in problems] == ["form.correctness_testing"]


def test_schema_export_gives_new_manifests_a_portable_schema_line(cli, tmp_path: Path) -> None:
    result = cli("new", "manifests/a.yaml", "-i", "miri", "--no-interactive", cwd=tmp_path)
    assert "tip: the schema line points into this installation" in result.stdout
    assert cli("schema", "export", cwd=tmp_path).stdout == \
        "wrote schemas/delivery.schema.json\n"
    exported = tmp_path / "schemas/delivery.schema.json"
    assert exported.read_bytes() == bundled_schema_path().read_bytes()
    result = cli("new", "manifests/jwst/b.yaml", "-i", "miri", "--no-interactive", cwd=tmp_path)
    assert "tip:" not in result.stdout
    first = (tmp_path / "manifests/jwst/b.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/delivery.schema.json"
    exported.write_text("{}")  # an older export is replaced
    assert cli("schema", "export", str(exported)).exit_code == 0
    assert json.loads(exported.read_text())["title"] == "CRDS delivery manifest"
    (tmp_path / "afile").write_text("not a folder")
    failed = cli("schema", "export", str(tmp_path / "afile/s.json"))
    assert failed.exit_code == 1 and "cannot write" in failed.stderr


def test_unwritable_target_is_a_clean_error(cli, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    result = cli("new", str(tmp_path / "afile/m.yaml"), "-i", "miri", "--no-interactive")
    assert result.exit_code == 1
    assert "cannot write" in result.stderr and "afile is not a folder" in result.stderr
    result = cli("new", str(tmp_path / "afile/deeper/m.yaml"), "-i", "miri", "--no-interactive")
    assert result.exit_code == 1 and "Not a directory" in result.stderr
