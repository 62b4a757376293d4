"""Typed errors of the CRDS client. Their messages are built from server answers, so every
one is passed through the token's redaction before it is raised (see http.Http.fail)."""

from __future__ import annotations

from crds_deliver.errors import CrdsDeliverError


class CrdsError(CrdsDeliverError):
    """The CRDS server refused a request or answered something the client cannot use."""

    exit_code = 4


class ServerUnreachable(CrdsError):
    """No answer (connection refused, DNS, timeout) even after the retries that are safe,
    or a server certificate that TLS verification refused (not retried)."""


class LoginError(CrdsError):
    """The server did not log us in: bad token, unknown account, lock held by someone else."""


class SessionExpired(CrdsError):
    """The server sent us back to its login page mid-way: the session timed out or was
    dropped. Before the submission post, logging in again and redoing the steps is safe."""


class LockConflict(CrdsError):
    """An instrument lock stands in the way of this delivery."""


class IngestError(CrdsError):
    """The server's ingest area is not as this delivery needs it (stray files, failed upload)."""


class DuplicateFileError(CrdsError):
    """A file is bit-identical (same sha1) to one CRDS already has: the server would reject it."""


class SubmissionError(CrdsError):
    """The submission post was refused or processing failed."""
