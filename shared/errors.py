"""One error hierarchy for the whole product.

Every error a user can see is a :class:`BridgeError`. Each carries an HTTP status and a stable
``code``; the HTTP layer renders all of them in one JSON shape::

    {"error": {"code": "...", "message": "...", "details": [...]}}

``details`` is a list of ``{path, line, column, message}`` records for validation errors and free
JSON for others.

Every error class lives here and declares its HTTP status and code once; :data:`ERRORS` is the
table of them all (in declaration order) and :func:`for_status` maps an HTTP status the web
framework raises itself (405, 413, ...) to its class, so there is no second table of codes.
"""

from __future__ import annotations

from typing import Any

ERRORS: list[type[BridgeError]] = []  # every error class, base first (filled as classes are defined)


class BridgeError(Exception):
    """Base of every error Bridge reports to a user."""

    status: int = 500
    code: str = "internal"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ERRORS.append(cls)

    def __init__(self, message: str = "", *, details: Any = None) -> None:
        super().__init__(message or self.code)
        self.message = message or self.code.replace("_", " ")
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body shared by every endpoint."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class BadRequest(BridgeError):
    status, code = 400, "bad_request"


class ValidationFailed(BadRequest):
    """Input failed validation; ``details`` lists every problem as {path, line, column, message}."""

    code = "validation_failed"


class UnsafeSql(ValidationFailed):
    """SQL that is not a single read-only SELECT over the connection's own tables."""

    code = "unsafe_sql"


class Unauthorized(BridgeError):
    status, code = 401, "unauthorized"


class Forbidden(BridgeError):
    status, code = 403, "forbidden"


class NotFound(BridgeError):
    status, code = 404, "not_found"


class MethodNotAllowed(BridgeError):
    status, code = 405, "method_not_allowed"


class Conflict(BridgeError):
    status, code = 409, "conflict"


class PreconditionFailed(Conflict):
    """A generation / version precondition did not hold (create-only or compare-and-swap)."""

    code = "precondition_failed"


class PreconditionRequired(BridgeError):
    """Replacing an existing resource needs its version (``If-Match``)."""

    status, code = 428, "precondition_required"


class PayloadTooLarge(BridgeError):
    status, code = 413, "payload_too_large"


class HeadersTooLarge(BridgeError):
    status, code = 431, "headers_too_large"


class UnsupportedMediaType(BridgeError):
    status, code = 415, "unsupported_media_type"


class ByteCapExceeded(BridgeError):
    """A query would scan (or bill) more bytes than the cap allows."""

    status, code = 422, "byte_cap_exceeded"


class WarehouseError(BridgeError):
    """The warehouse rejected or failed a query (bad SQL, missing table, ...)."""

    status, code = 422, "warehouse_error"


class WarehouseAccessDenied(WarehouseError):
    """The connection's identity may not read what the query reads (BigQuery ``accessDenied``)."""


class Timeout(BridgeError):
    status, code = 504, "timeout"


class Unavailable(BridgeError):
    """A dependency failed transiently; retrying later may succeed."""

    status, code = 503, "unavailable"


class RetryLater(Unavailable):
    """An expected wait (another write has not landed yet): retried, and not logged as a failure."""

    code = "retry_later"


class DecryptionFailed(BridgeError):
    """Ciphertext was tampered with or bound to another team/connection."""

    status, code = 500, "decryption_failed"


class LimitExceeded(BridgeError):
    """An agent or rate limit was hit (steps, tokens, retries, deadline)."""

    status, code = 429, "limit_exceeded"


ERRORS.insert(0, BridgeError)


def for_status(status: int, message: str = "") -> BridgeError:
    """The error of HTTP ``status``: the first class declared with it, else a generic one."""
    for cls in ERRORS:
        if cls.status == status:
            return cls(message)
    err = BridgeError(message or f"HTTP {status}")
    err.status, err.code = status, "http_error"
    return err
