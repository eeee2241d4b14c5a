"""The HTTP target of the Cloud Tasks harness: a functions-framework function shaped like the
``POST /tasks/<handler>`` route of agent_step (verify the OIDC token, run the handler by name).

The harness fills ``HANDLERS`` (what the queue registered) and ``CONFIG`` (audience, service
account email, the google-auth request that fetches the signing certs, and whether the
service requires authentication, ``platform_verified``).
"""

from __future__ import annotations

import logging
from typing import Any

import functions_framework

from shared.adapters.tasks.cloudtasks import verify_oidc_token
from shared.errors import Unauthorized

log = logging.getLogger(__name__)

HANDLERS: dict[str, Any] = {}
CONFIG: dict[str, Any] = {}


@functions_framework.http
def task_target(request: Any) -> Any:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer":
            raise Unauthorized("missing task token")
        verify_oidc_token(
            token,
            audience=CONFIG["audience"],
            email=CONFIG["email"],
            request=CONFIG["request"],
            platform_verified=CONFIG.get("platform_verified", False),
        )
    except Unauthorized as e:
        return {"error": e.message}, 401
    handler = HANDLERS.get(request.path.removeprefix("/tasks/"))
    if handler is None:
        return {"error": "unknown task handler"}, 404
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return {"error": "task payload must be a JSON object"}, 400
    try:
        handler(payload)
    except Exception as e:  # the handler failed: a 5xx makes Cloud Tasks retry
        log.warning("task handler failed: %r", e)
        return {"error": type(e).__name__}, 500
    return {"ok": True}
