"""Client of the CRDS web protocol (requests): see crds-protocol notes in docs/apply.md."""

from crds_deliver.crds.client import CrdsClient, IngestFile, KnownFile, Message, SubmitOutcome
from crds_deliver.crds.errors import (
    CrdsError,
    DuplicateFileError,
    IngestError,
    LockConflict,
    LoginError,
    ServerUnreachable,
    SessionExpired,
    SubmissionError,
)
from crds_deliver.crds.http import RequestEvent, Timeouts
from crds_deliver.crds.server import ServerChoice, resolve_server

__all__ = ["CrdsClient", "CrdsError", "DuplicateFileError", "IngestError", "IngestFile",
           "KnownFile", "LockConflict", "LoginError", "Message", "RequestEvent", "ServerChoice",
           "ServerUnreachable", "SessionExpired", "SubmissionError", "SubmitOutcome",
           "Timeouts", "resolve_server"]
