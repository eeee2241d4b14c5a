"""The HTTP server a Cloud Function runs in: functions-framework's gunicorn, with Bridge's limits.

functions-framework (3.x) starts gunicorn itself (``functions_framework._http.gunicorn``) with
options of its own: ``limit_request_line = 0`` (unlimited) and gunicorn's defaults for the rest,
a header field of at most 8190 bytes and at most 100 fields. It reads no setting or environment
variable for them (its maintainers declined arbitrary gunicorn options), and gunicorn answers what
it refuses with an HTML page before Flask sees the request: a 10 KB token, which the app accepts,
got gunicorn's HTML 431, and a 20 KB one never reached the app's own JSON 431.

:func:`configure` (called by every function's ``main.py`` at import, which functions-framework
does before it builds its server) makes the server that serves the function:

* admit every header field up to twice the app's bound on all headers together
  (:data:`shared.entry.input_guard.MAX_HEADER_BYTES`), so whatever the app refuses reaches it and
  gets the app's 431 ``headers_too_large`` in the JSON error shape;
* bound the request line at gunicorn's maximum (8190 bytes, above what the app's 2048-character
  path and query bounds admit) instead of not at all;
* answer what gunicorn still refuses itself (a field over that limit, more than 100 fields, a
  malformed request line, a line over 8190 bytes) in the same JSON error shape.

The local dev server does the same for werkzeug's server (:func:`shared.dev.server.request_handler`).
"""

from __future__ import annotations

import json
from typing import Any

from shared.entry.input_guard import MAX_HEADER_BYTES

LIMITS = {
    "limit_request_field_size": 2 * MAX_HEADER_BYTES,
    "limit_request_fields": 100,
    "limit_request_line": 8190,
}

_configured = False


def configure() -> None:
    """Make functions-framework's gunicorn use :data:`LIMITS` and JSON error pages. Idempotent."""
    global _configured
    if _configured:
        return
    import gunicorn.util
    from functions_framework._http import gunicorn as ff_gunicorn

    base = ff_gunicorn.GunicornApplication

    class BridgeGunicornApplication(base):  # type: ignore[misc, valid-type]
        """functions-framework's application with Bridge's limits (explicit options still win)."""

        def __init__(self, app: Any, host: str, port: int, debug: bool, **options: Any) -> None:
            super().__init__(app, host, port, debug, **{**LIMITS, **options})

    # functions_framework._http.HTTPServer imports the class from this module when it serves.
    ff_gunicorn.GunicornApplication = BridgeGunicornApplication  # type: ignore[misc]
    # gunicorn's workers answer a request they refuse through util.write_error (HTML).
    gunicorn.util.write_error = write_json_error
    _configured = True


def error_response(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 response: ``status`` in the shared JSON error shape, connection closed."""
    from shared.errors import for_status

    body = json.dumps(for_status(status, f"{reason} (refused by the HTTP server)").to_dict()).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` in the shared JSON shape; ``mesg`` (request text) is not echoed."""
    import gunicorn.util

    gunicorn.util.write_nonblock(sock, error_response(status_int, reason))
