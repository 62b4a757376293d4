"""A local CRDS-compatible server that speaks the real submission protocol (optional extra
`sandbox`, which installs Werkzeug). See docs/sandbox.md.

    from crds_deliver.sandbox import Sandbox
    with Sandbox(tmp_path, project="jwst").start() as sb:
        ...  # sb.url, sb.username, sb.token, sb.faults, sb.stats, sb.catalog
"""

from __future__ import annotations

from crds_deliver.sandbox.faults import Faults
from crds_deliver.sandbox.server import Sandbox, SandboxError
from crds_deliver.sandbox.settings import SandboxSettings

__all__ = ["Faults", "Sandbox", "SandboxError", "SandboxSettings"]
