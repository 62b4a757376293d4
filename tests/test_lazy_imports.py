"""Start-up stays cheap: `--help`, `--version` and `validate` never import the heavy packages.

Every command module is imported to register its command, so one module-level import of
astropy (through certify), requests (through the client) or Werkzeug (through the sandbox)
would make every invocation pay for it. Each case runs the real command line in a fresh
interpreter and reports which modules it loaded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.without_packages import blocking

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("astropy", "requests", "numpy", "werkzeug", "rich")

# Runs the console-script entry point with the given arguments, then prints the top-level
# packages it imported, and the full names of crds_deliver's own modules, as JSON on the last
# line of stdout.
PROBE = """
import json, sys
from crds_deliver.cli import main
sys.argv = ["crds-deliver", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
ours = {m for m in sys.modules if m.startswith("crds_deliver.")}
print(json.dumps({"exit": code,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} | ours)}))
"""


def loaded_packages(*args: str) -> tuple[int, set[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                            text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    return report["exit"], set(report["loaded"])


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("validate", "--help"),
                                  ("apply", "--help"), ("schema", "--help")])
def test_help_and_version_import_no_heavy_package(args):
    code, loaded = loaded_packages(*args)
    assert code in (0, None)
    assert "typer" in loaded  # the probe did run the command line
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    # nor the Python API, which a command imports when it runs (`new` needs its globs' code)
    assert "crds_deliver.api" not in loaded


def test_validate_imports_no_heavy_package(tmp_path):
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    (tmp_path / "manifests" / "broken.yaml").write_text("form: {instrument: nircam\n")
    code, loaded = loaded_packages("validate", str(tmp_path / "manifests"))
    assert code == 1  # the broken manifest was read and reported: validate did its work
    assert "yaml" in loaded
    # The valid manifests pass the compiled checks (conformance.py) and the broken one is
    # broken YAML: jsonschema, which says where a manifest breaks the schema, is not needed.
    assert "jsonschema" not in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_plan_of_plain_fits_headers_without_the_crds_extra_imports_no_astropy(tmp_path):
    """A WFC3 bias has plainly standard headers: strict_header.py reads them, and without the
    crds extra (blocked here) nothing else needs astropy, so plan does not pay its import."""
    shutil.copytree(REPO / "manifests" / "hst", tmp_path / "hst")
    probe = blocking(["crds"]) + PROBE
    result = subprocess.run([sys.executable, "-c", probe, "plan", "--format", "json",
                             str(tmp_path / "hst")], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    *plan_lines, last = result.stdout.splitlines()
    report, plan = json.loads(last), json.loads("\n".join(plan_lines))
    assert report["exit"] in (0, None), result.stdout
    [manifest] = plan["manifests"]
    assert (manifest["action"], manifest["errors"]) == ("DELIVER", 0)  # the headers were read
    assert "numpy" in report["loaded"]  # the FITS checksums were computed
    assert "astropy" not in report["loaded"]
