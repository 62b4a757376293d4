"""JSON-RPC 1.0 service at /json/...: the calls a delivery client and the crds client make.

Bodies are parsed as JSON whatever the Content-Type (the crds client posts with urllib's form
default). Answers are HTTP 200 with `"error": null` on success and an error object otherwise,
because clients read `error` first.
"""

from __future__ import annotations

import base64
import fnmatch
import gzip
import json
import re
from collections.abc import Callable

from crds_deliver import __version__
from crds_deliver.sandbox.catalog import Catalog


class RpcError(Exception):
    """An error answered to the caller (message text is the client-visible part)."""


def crds_encode(value: object) -> dict:
    """The crds client's compressed payload form (base64 of gzipped JSON)."""
    raw = gzip.compress(json.dumps(value).encode("utf-8"))
    return {"crds_encoded": "1.0", "crds_payload": base64.b64encode(raw).decode("ascii")}


class JsonRpc:
    """Dispatches JSON-RPC calls; `root_url` gives the server's base URL (with trailing '/')."""

    def __init__(self, catalog: Catalog, root_url: Callable[[], str]) -> None:
        self.catalog = catalog
        self.project = catalog.project
        self.root_url = root_url
        self.methods: dict[str, Callable[..., object]] = {
            "get_server_info": self.get_server_info,
            "get_default_context": self.get_default_context,
            "get_context_by_date": self.get_context_by_date,
            "get_build_context": self.get_build_context,
            "get_file_info_map": self.get_file_info_map,
            "get_file_info": self.get_file_info,
            "get_mapping_names": self.get_mapping_names,
            "get_reference_names": self.get_reference_names,
            "list_mappings": self.list_mappings,
            "list_references": self.list_references,
            "get_context_history": self.get_context_history,
            "jpoll_pull_messages": self.jpoll_pull_messages,
            "jpoll_abort": self.jpoll_abort,
        }

    def handle(self, body: bytes) -> dict:
        """Answer one request body; never raises."""
        call_id = None
        try:
            request = json.loads(body.decode("utf-8"))
            if not isinstance(request, dict):
                raise RpcError("request must be a JSON object")
            call_id = request.get("id")
            method = self.methods.get(str(request.get("method")))
            if method is None:
                raise RpcError(f"Unknown method '{request.get('method')}'")
            params = request.get("params") or []
            result = method(**params) if isinstance(params, dict) else method(*params)
            return {"jsonrpc": "1.0", "id": call_id, "error": None, "result": result}
        except (RpcError, KeyError, TypeError, ValueError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            if isinstance(exc, KeyError):
                text = f"Unknown file '{text}'"
            return {"jsonrpc": "1.0", "id": call_id, "result": None,
                    "error": {"name": "OtherError", "code": 500, "data": None,
                              "message": f"OtherError: {text}"}}

    # --- helpers --------------------------------------------------------------------------

    def _check_obs(self, observatory: str | None) -> None:
        if observatory not in (None, self.project):
            raise RpcError(f"Observatory '{observatory}' is not served here ({self.project}).")

    def _url(self, kind: str) -> dict:
        url = f"{self.root_url()}unchecked_get/{kind}/{self.project}/"
        return {"checked": {self.project: url}, "unchecked": {self.project: url}}

    def _info(self, info: dict) -> dict:
        answer = {"name": info["name"], "sha1sum": info["sha1sum"], "size": str(info["size"]),
                  "uploaded_as": info["uploaded_as"], "state": "delivered" if info["state"]
                  == "delivered" else "uploaded", "instrument": info["instrument"],
                  "filekind": info["filekind"], "type": info["kind"],
                  "change_level": info["change_level"] or "", "description":
                  info["description"] or "", "observatory": self.project,
                  "delivery_date": info["created"], "blacklisted": "false",
                  "rejected": "false"}
        # Sandbox extra: the results page of the submission that brought the file, so a
        # client that finds its files already submitted can follow that submission.
        results_id = self.catalog.submission_result(info["submission_id"] or "")
        if results_id:
            answer["results_url"] = f"/display_result/{results_id}/"
        return answer

    # --- methods --------------------------------------------------------------------------

    def get_server_info(self) -> dict:
        edit = self.catalog.edit_context
        files = self.catalog.delivered_files()
        history = self.catalog.contexts()
        return {
            "observatory": self.project,
            "edit_context": edit, "latest_context": edit, "build_context": edit,
            "versions_context": edit,
            "operational_context": self.catalog.operational_context,
            "bad_files_list": [], "bad_files": "",
            "context_history": [[c["created"], c["name"], c["description"] or ""]
                                for c in reversed(history)],
            "mappings": sorted(f["name"] for f in files if f["kind"] == "mapping"),
            "crds_version": {"str": f"sandbox-{__version__}", "rev": "sandbox",
                             "svnurl": "crds-deliver sandbox"},
            "force_remote_mode": 0, "max_headers_per_rpc": 500,
            "max_bestrefs_per_rpc": 1000,
            "reference_url": self._url("references"), "mapping_url": self._url("mappings"),
            "download_metadata": crds_encode(
                {f["name"]: {"size": str(f["size"]), "sha1sum": f["sha1sum"]} for f in files}),
            "last_synced": history[-1]["created"] if history else "",
        }

    def get_default_context(self, observatory: str | None = None,
                            state: str | None = None) -> str:
        self._check_obs(observatory)
        if state in (None, "edit", "latest", "build", "versions"):
            return self.catalog.edit_context
        if state == "operational":
            return self.catalog.operational_context
        raise RpcError(f"Unknown context state '{state}'")

    def get_build_context(self, observatory: str | None = None,
                          cal_version: str | None = None) -> str:
        """The context of a calibration software version: the sandbox has no builds, so
        every version gets the operational context (what crds falls back to)."""
        self._check_obs(observatory)
        return self.catalog.operational_context

    def get_context_by_date(self, date: str, observatory: str | None = None) -> str:
        """A literal pmap, `<obs>-edit|operational|latest|versions`, a date (the last context
        created by then, else "N/A"), or `<obs>-<instr>[-<type>]-<date>` (its imap / rmap)."""
        self._check_obs(observatory)
        spec = str(date)
        if spec.endswith(".pmap"):
            if self.catalog.delivered(spec) is None:
                raise RpcError(f"Unknown context '{spec}'")
            return spec
        prefix = f"{self.project}-"
        word = spec[len(prefix):] if spec.startswith(prefix) else spec
        if word in ("edit", "latest", "versions", "build"):
            return self.catalog.edit_context
        if word == "operational":
            return self.catalog.operational_context
        parts = word.split("-")
        year = next((i for i, part in enumerate(parts) if re.fullmatch(r"\d{4}", part)), 0)
        selectors, stamp = parts[:year], "-".join(parts[year:]).replace("T", " ")
        chosen = "N/A"
        for context in self.catalog.contexts():
            if context["created"] <= stamp:
                chosen = context["name"]
        if chosen == "N/A" or not selectors:
            return chosen
        imap = self.catalog.mapping_body(chosen)["imaps"].get(selectors[0].lower())
        if imap is None or len(selectors) == 1:
            return imap or "N/A"
        return self.catalog.mapping_body(imap)["rmaps"].get("-".join(selectors[1:]).lower(),
                                                             "N/A")

    def get_file_info_map(self, observatory: str | None = None, files: list | None = None,
                          fields: list | None = None) -> dict:
        self._check_obs(observatory)
        if files is None:
            infos = {f["name"]: self._info(f) for f in
                     [*self.catalog.delivered_files(), *self.catalog.pending_files()]}
        else:
            infos = {}
            for name in files:
                info = self.catalog.file(name)
                infos[name] = self._info(info) if info else "NOT FOUND"
        if fields:
            infos = {name: info if isinstance(info, str) else
                     {k: info[k] for k in fields if k in info} for name, info in infos.items()}
        return infos

    def get_file_info(self, context: str, filename: str) -> dict:
        info = self.catalog.delivered(filename)
        if info is None:
            raise RpcError(f"Unknown file '{filename}'")
        return self._info(info)

    def _context(self, context: str | list) -> str:
        name = context[0] if isinstance(context, list) else context
        name = self.get_context_by_date(name) if not str(name).endswith(".pmap") else name
        if self.catalog.delivered(name) is None:
            raise RpcError(f"Unknown context '{name}'")
        return name

    def get_mapping_names(self, context: str | list) -> list[str]:
        return self.catalog.closure(self._context(context))

    def get_reference_names(self, context: str) -> list[str]:
        return self.catalog.references_of(self._context(context))

    def _list(self, kind: str, observatory: str | None, glob: str) -> list[str]:
        self._check_obs(observatory)
        return sorted(f["name"] for f in self.catalog.delivered_files(kind)
                      if fnmatch.fnmatch(f["name"], glob or "*"))

    def list_mappings(self, observatory: str | None = None, glob: str = "*") -> list[str]:
        return self._list("mapping", observatory, glob)

    def list_references(self, observatory: str | None = None, glob: str = "*") -> list[str]:
        return self._list("reference", observatory, glob)

    def get_context_history(self, observatory: str | None = None) -> list:
        self._check_obs(observatory)
        return [[c["created"], c["name"], c["description"] or ""]
                for c in self.catalog.contexts()]

    def jpoll_pull_messages(self, key: str, since_id: str | int | None = None) -> list[dict]:
        if not self.catalog.channel_exists(str(key)):
            raise RpcError(f"Channel key '{key}' not found.")
        return self.catalog.messages(str(key), int(since_id or 0))

    def jpoll_abort(self, key: str) -> str:
        if not self.catalog.channel_exists(str(key)):
            raise RpcError(f"Channel key '{key}' not found.")
        self.catalog.abort_channel(str(key))
        return "ok"
