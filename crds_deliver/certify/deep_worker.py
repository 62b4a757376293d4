"""A deep-check worker process: `python -m crds_deliver.certify.deep_worker PROJECT`.

It imports crds and the project's datamodels, pins astropy's configuration (pinned_config.py),
then answers requests until its input ends: one JSON object per line in,
`{"path": ..., "name": ...}`, and one JSON list of findings per line out. deep_pool.py starts
and feeds these workers; see there why they are plain interpreters and not multiprocessing's.

Anything crds or a datamodel package prints goes to stderr: standard output carries the
answers only.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from crds_deliver.certify.deep import deep_findings, import_crds
from crds_deliver.certify.pinned_config import pin_astropy_config


def main() -> None:
    project = sys.argv[1]
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    import_crds(project)
    pin_astropy_config()
    for line in sys.stdin:
        request = json.loads(line)
        findings = deep_findings(Path(request["path"]), request["name"], project)
        answers.write(json.dumps([finding.to_dict() for finding in findings]) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
