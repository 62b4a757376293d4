"""`plan --sync`: fetch a context's mappings into a CRDS cache folder, as `crds sync` does.

The same JSON-RPC calls and downloads as the crds client: `get_server_info` (the contexts and
`mapping_url`), `get_context_by_date` for date specs, `get_mapping_names` for the closure,
then each mapping from `<mapping_url><name>`. Files land under `mappings/<obs>/` (written
atomically; a mapping already there with the server's sha1sum is kept) and the server's info
under `config/<obs>/server_config`, where crds itself keeps it (with `download_metadata`,
the sha1sum of every file the server holds: plan's duplicate check reads it).
"""

from __future__ import annotations

import hashlib
import os
import pprint
import tempfile
from pathlib import Path

from crds_deliver.crds.errors import CrdsError
from crds_deliver.crds.http import Http
from crds_deliver.crds.rpc import JsonRpc, decode
from crds_deliver.rules.context import ContextError, mapping_dir

_SYMBOLIC = {"edit": "edit_context", "latest": "latest_context",
             "operational": "operational_context", "versions": "versions_context",
             "build": "build_context"}


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _mapping_url(info: dict, project: str) -> str:
    value = info.get("mapping_url") or {}
    if isinstance(value, dict) and "unchecked" in value:
        value = value["unchecked"]
    url = value.get(project) if isinstance(value, dict) else value
    if not url:
        raise ContextError(f"the server's info has no mapping_url for {project}")
    return str(url).rstrip("/") + "/"


def _resolve(rpc: JsonRpc, info: dict, project: str, spec: str) -> str:
    if spec.endswith(".pmap"):
        return spec
    word = spec[len(project) + 1:] if spec.startswith(project + "-") else spec
    if word in _SYMBOLIC:
        name = info.get(_SYMBOLIC[word]) or info.get("operational_context")
    else:
        name = rpc.call("get_context_by_date", spec, project)
    if not name or not str(name).endswith(".pmap"):
        raise ContextError(f"the server does not resolve context '{spec}' to a .pmap")
    return str(name)


def sync_context(server_url: str, project: str, spec: str | None, cache: Path) -> str:
    """Fetch context `spec` (default `<project>-edit`) and its mappings into `cache`;
    returns the pmap name. Raises ContextError naming the server or the file."""
    spec = spec or f"{project}-edit"
    http = Http(server_url)
    rpc = JsonRpc(http)
    try:
        info = rpc.call("get_server_info")
        if not isinstance(info, dict):
            raise ContextError(f"{server_url}: get_server_info did not answer an object")
        pmap = _resolve(rpc, info, project, spec)
        names = rpc.call("get_mapping_names", pmap)
        metadata = info.get("download_metadata")
        sums = decode(metadata) if isinstance(metadata, dict) else {}
        base = _mapping_url(info, project)
        folder = mapping_dir(cache, project)
        for name in names:
            target = folder / name
            wanted = (sums.get(name) or {}).get("sha1sum") if isinstance(sums, dict) else None
            if target.is_file() and wanted and \
                    hashlib.sha1(target.read_bytes()).hexdigest() == wanted:
                continue
            response = http.session.get(base + name, timeout=60)
            if response.status_code != 200:
                raise ContextError(f"{base}{name}: HTTP {response.status_code} while syncing "
                                   f"{pmap}")
            _atomic_write(target, response.content)
        _atomic_write(cache / "config" / project / "server_config",
                      pprint.pformat(info).encode("utf-8"))
    except CrdsError as exc:
        raise ContextError(f"syncing {spec} from {server_url} failed: {exc}") from None
    finally:
        rpc.close()
        http.close()
    return pmap
