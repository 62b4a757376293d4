# %% [markdown]
# # Deliver a reference file from a notebook
#
# A worked example of crds-deliver's Python API (docs/python-api.md): build a MIRI dark with
# astropy, describe its delivery, plan it offline, save the manifest a pull request would
# review, deliver it to a sandbox CRDS server started on this machine, and confirm it.
# Run it as a script (`python docs/examples/notebook_delivery.py`) or open it as a notebook
# in an editor that understands `# %%` cells (VS Code, Jupytext, Spyder). It writes into the
# current folder: `refs/` and `manifests/`.

# %%
from pathlib import Path

import numpy as np
from astropy.io import fits

from crds_deliver import Delivery

# %% [markdown]
# ## Build a reference file
# The header carries what CRDS selects the file by (instrument, detector, subarray ...), and
# what reviewers read (author, pedigree, description, history).

# %%
refs = Path("refs")
refs.mkdir(exist_ok=True)
primary = fits.PrimaryHDU()
primary.header.update({
    "TELESCOP": "JWST", "INSTRUME": "MIRI", "DETECTOR": "MIRIMAGE", "REFTYPE": "DARK",
    "DATAMODL": "DarkMIRIModel", "FILTER": "N/A", "READPATT": "FASTR1",
    # The SUB64 subarray: its corner and size, which the arrays below must match.
    "SUBARRAY": "SUB64", "SUBSTRT1": 1, "SUBSIZE1": 72, "SUBSTRT2": 779, "SUBSIZE2": 64,
    "FASTAXIS": 1, "SLOWAXIS": 2, "NFRAMES": 1, "GROUPGAP": 0, "NGROUPS": 2,
    "USEAFTER": "2026-01-01T00:00:00", "PEDIGREE": "INFLIGHT 2026-01-01 2026-03-31",
    "AUTHOR": "Jane Doe", "DESCRIP": "MIRI imager dark from 2026 flight data",
})
primary.header.add_history("Median of 20 dark exposures taken in January-March 2026")
# The MIRI dark datamodel wants 4-D arrays: integrations, groups, rows, columns.
shape = (1, 2, 64, 72)
dark = np.random.default_rng(1).normal(0.0, 1.0, shape).astype("float32")
dq_def = fits.BinTableHDU.from_columns([
    fits.Column("BIT", "J", array=[0]), fits.Column("VALUE", "J", array=[1]),
    fits.Column("NAME", "20A", array=["DO_NOT_USE"]),
    fits.Column("DESCRIPTION", "40A", array=["Bad pixel"])], name="DQ_DEF")
fits.HDUList([primary, fits.ImageHDU(dark, name="SCI"),
              fits.ImageHDU(np.zeros(shape, dtype="uint32"), name="DQ"), dq_def]
             ).writeto(refs / "jwst_miri_dark_0001.fits", checksum=True, overwrite=True)

# %% [markdown]
# ## Describe the delivery
# The form has the CRDS submission form's own field names. A wrong name or value raises one
# `DeliveryError` that lists every problem with its field. `folder` and `name` say where the
# manifest goes; file paths are relative to the current folder.

# %%
delivery = Delivery(
    project="jwst",
    server="bit",
    files=["refs/jwst_miri_dark_*.fits"],
    form={
        "deliverer": "Jane Doe",
        "instrument": "miri",
        "file_type": "DARK",
        "history_updated": True,
        "pedigree_updated": True,
        "keywords_checked": True,
        "descrip_updated": True,
        "useafter_updated": True,
        "useafter_matches": "N/A",
        "compliance_verified": "Yes",
        "calpipe_version": "jwst 1.19.1",
        "replacing_badfiles": "N/A",
        "modes_affected": "MIRI imager, full frame",
        "correctness_testing": "Ran calwebb_detector1 on 20 flight exposures",
        "change_level": "SEVERE",
        "description": "New MIRI imager dark built from 2026 flight data",
    },
    folder="manifests/jwst/miri",
    name="2026-11-notebook-dark.yaml",
)
delivery

# %% [markdown]
# ## Plan
# Offline: the files are found, digested and certified; the plan says what apply would do.
# In Jupyter the plan shows as a table.

# %%
plan = delivery.plan()
print(plan)
assert plan.action == "DELIVER", plan.error_lines()

# %% [markdown]
# ## Save the manifest
# This is the file to commit and open a pull request with; `crds-deliver validate` accepts
# it, and `crds-deliver plan` prints the plan above.

# %%
saved = delivery.save()
print(saved.read_text())

# %% [markdown]
# ## Deliver to the sandbox
# `sandbox=True` starts a local CRDS server for this session. For a real server, leave it out:
# the manifest's server is used (or CRDS_SERVER_URL), with your MAST token from MAST_API_TOKEN
# or ~/.crds.ini. The result record is written next to the manifest.

# %%
outcome = delivery.apply(sandbox=True)
print(outcome)
assert outcome.state == "READY"

# %% [markdown]
# ## Review, then confirm
# `outcome.results_url` is the server's results page. Confirming makes the files official.

# %%
confirmed = delivery.confirm()
print(confirmed)
for state, time in delivery.history:
    print(f"{time}  {state}")
