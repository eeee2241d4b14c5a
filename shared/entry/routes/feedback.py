"""Feedback on assistant turns and saved dashboards: give (any member), list, accept (admins).

Giving and listing are served by ``onboard`` (the teams prefix); accepting writes the knowledge file
(a checked, dry-run save) and is served by ``save_dashboard``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db.models import Feedback
from shared.entry import paging
from shared.entry.app import container, json_body, obj, principal
from shared.errors import Conflict
from shared.services import feedback

bp = Blueprint("feedback", __name__)
accept_bp = Blueprint("feedback_accept", __name__)

_TEXT = {"type": ["string", "null"], "maxLength": 2000}
BODY = obj(
    {
        "target_type": {"enum": list(feedback.TARGETS)},
        "target_id": {"type": "string", "minLength": 1, "maxLength": 80},
        "rating": {"enum": list(feedback.RATINGS)},
        "comment": _TEXT,
        "correction": _TEXT,
    },
    required=("target_type", "target_id", "rating"),
)


def feedback_json(row: Feedback) -> dict[str, Any]:
    return {
        "id": row.id,
        "team_id": row.team_id,
        "user": row.user_id,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "rating": row.rating,
        "comment": row.comment,
        "correction": row.correction,
        "question": row.question,
        "dashboard_slug": row.dashboard_slug,
        "status": row.status,
        "accepted_version": row.accepted_version,
        "offer": feedback.offer(row),
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


@bp.post("/v1/teams/<team_id>/feedback")
def give(team_id: str) -> Any:
    who = principal()
    body = json_body(BODY)
    c = container()

    def write(s: Session) -> tuple[dict[str, Any], int]:
        row, created = feedback.give(
            s, who, team_id, body["target_type"], body["target_id"], body["rating"],
            (body.get("comment") or "").strip() or None, (body.get("correction") or "").strip() or None,
        )  # fmt: skip
        return feedback_json(row), 201 if created else 200

    try:
        return c.db.run(write)
    except IntegrityError:
        raise Conflict("the same feedback was sent twice at the same moment; send it again") from None


@bp.get("/v1/teams/<team_id>/feedback")
def list_all(team_id: str) -> Any:
    from datetime import datetime

    who = principal()
    want = paging.page("feedback", (datetime, str))

    def read(s: Session) -> dict[str, Any]:
        rows = feedback.listing(s, who, team_id, after=want.after, limit=want.limit + 1)
        chunk, cursor = want.finish(rows, lambda r: (r.created_at, r.id))
        return {"feedback": [feedback_json(r) for r in chunk], "next_cursor": cursor}

    return container().db.read_or_repair(read)


@accept_bp.post("/v1/teams/<team_id>/feedback/<feedback_id>/accept")
def accept(team_id: str, feedback_id: str) -> Any:
    who = principal()
    c = container()
    try:
        with c.db.session() as s:
            return feedback_json(feedback.accept(c, s, who, team_id, feedback_id))
    except IntegrityError:
        raise Conflict("the knowledge file was saved by someone else at the same moment; retry") from None
