"""agent_step: the Cloud Tasks HTTP target (``POST /tasks/<handler>``).

On Google Cloud, Cloud Tasks signs each request with an OIDC token for the queue's service
account; the token is verified here before any handler runs. Locally the in-process queue calls
the same handlers directly, so this route is only reachable with the task token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shared.entry.app import container
from shared.errors import BadRequest, NotFound, Unauthorized

bp = Blueprint("tasks", __name__)


@bp.post("/tasks/<handler>")
def run_task(handler: str) -> Any:
    from shared.entry.task_handlers import TASKS, task_handlers

    verify_task_token(request.headers.get("Authorization", ""))
    if handler not in TASKS:
        raise NotFound(f"unknown task handler {handler!r}")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest("task payload must be a JSON object")
    task_handlers(container())[handler](payload)
    return {"ok": True}


def verify_task_token(header: str) -> None:
    """Accept only tokens minted for the tasks service account (OIDC on GCP)."""
    c = container()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing task token")
    if c.settings.task_queue == "cloudtasks":
        from shared.adapters.tasks.cloudtasks import verify_oidc_token

        verify_oidc_token(
            token,
            audience=c.settings.tasks_target_url,
            email=c.settings.tasks_service_account,
            platform_verified=c.settings.requires_authentication,
        )
        return
    raise Unauthorized("task endpoints accept Cloud Tasks OIDC tokens only")
