"""JSON-RPC 1.0 calls to `<server>/json/`: reads, so they are retried when the server does
not answer. No cookies are needed; the progress channel's key is its own secret."""

from __future__ import annotations

import base64
import gzip
import html
import itertools
import json
import uuid
from typing import Any

from crds_deliver import __version__
from crds_deliver.crds.errors import CrdsError
from crds_deliver.crds.http import Http, session_for


class RpcError(CrdsError):
    """The server answered a JSON-RPC call with an error object."""


class ChannelNotFound(RpcError):
    """The progress channel does not exist (yet, or any more)."""


class JsonRpc:
    """Calls methods on the server's JSON-RPC endpoint through an Http (own session: pulls run
    while the submission post occupies the main session in another thread)."""

    def __init__(self, http: Http) -> None:
        self.http = http
        self.session = session_for(http.base_url)
        self._ids = itertools.count(1)
        self._prefix = f"crds-deliver-{__version__}-{uuid.uuid4()}"

    def call(self, method: str, *params: Any) -> Any:
        ident = f"{self._prefix}-{next(self._ids):08x}"
        body = json.dumps({"jsonrpc": "1.0", "method": method, "params": list(params),
                           "id": ident})
        response = self.http.request("POST", f"json/{method}/{ident}/", safe=True,
                                     session=self.session, data=body,
                                     headers={"Content-Type": "application/json"})
        if response.status_code != 200:
            raise self.http.fail(RpcError, f"{method}: HTTP {response.status_code} from "
                                           f"{self.http.base_url}json/")
        try:
            answer = response.json()
        except ValueError:
            raise self.http.fail(RpcError, f"{method}: the server's answer is not JSON") from None
        error = answer.get("error") if isinstance(answer, dict) else "malformed answer"
        if error:
            message = html.unescape(error.get("message", str(error)) if isinstance(error, dict)
                                    else str(error))
            kind = ChannelNotFound if "Channel" in message and "not found" in message else RpcError
            raise self.http.fail(kind, f"{method}: {message}")
        return decode(answer.get("result"))

    def close(self) -> None:
        self.session.close()


def decode(value: Any) -> Any:
    """Undo the server's optional payload compression (`crds_encoded`: base64 of gzip JSON)."""
    if isinstance(value, dict) and "crds_encoded" in value and "crds_payload" in value:
        return json.loads(gzip.decompress(base64.b64decode(value["crds_payload"])).decode())
    return value
