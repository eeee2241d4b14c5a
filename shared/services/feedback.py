"""Feedback: thumbs up/down (with an optional comment) on an assistant turn or a saved dashboard.

One row per user and target: sending again updates it (idempotent). A thumbs-up on something that
saved a dashboard offers a verified answer (the question and the dashboard); a thumbs-down with a
correction ("revenue should exclude returns") proposes an instruction. A team admin accepts the
offer or proposal: it is written into the team's knowledge file as a new version (checked like any
save), and the feedback records that version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.db import keyset
from shared.db.models import ChatSession, Dashboard, Feedback, Turn
from shared.errors import Conflict, NotFound
from shared.knowledge.edit import with_change
from shared.ports import Ports
from shared.services.teams import require_team

TARGETS = ("turn", "dashboard")
RATINGS = ("up", "down")
ORDER = (keyset.Key(Feedback.created_at, descending=True), keyset.Key(Feedback.id, descending=True))


def give(
    s: Session,
    who: Principal,
    team_id: str,
    target_type: str,
    target_id: str,
    rating: str,
    comment: str | None = None,
    correction: str | None = None,
) -> tuple[Feedback, bool]:
    """Record (or update) ``who``'s feedback on one of the team's turns or dashboards; (row, created)."""
    team = require_team(s, who, team_id)
    question, slug = _target(s, team.id, target_type, target_id)
    row = s.scalar(
        select(Feedback).where(
            Feedback.team_id == team.id,
            Feedback.user_id == who.user_id,
            Feedback.target_type == target_type,
            Feedback.target_id == target_id,
        )
    )
    created = row is None
    if row is None:
        row = Feedback(team_id=team.id, user_id=who.user_id, target_type=target_type, target_id=target_id)
        s.add(row)
    elif (row.rating, row.comment, row.correction) != (rating, comment, correction):
        row.status, row.accepted_version = "open", None  # a changed opinion is open again
    row.rating, row.comment, row.correction = rating, comment, correction
    row.question, row.dashboard_slug = question, slug
    row.status = row.status or "open"
    s.flush()
    return row, created


def _target(s: Session, team_id: str, target_type: str, target_id: str) -> tuple[str | None, str | None]:
    """(the question asked, the dashboard it saved) of a turn or a dashboard of this team; 404 otherwise."""
    if target_type == "turn":
        turn = s.scalar(
            select(Turn)
            .join(ChatSession, ChatSession.id == Turn.session_id)
            .where(Turn.id == target_id, ChatSession.team_id == team_id)
        )
        if turn is None:
            raise NotFound("turn not found")
        saved = ((turn.state or {}).get("turn") or {}).get("saved") or {}
        return turn.user_message, saved.get("dashboard_slug") or None
    row = s.scalar(
        select(Dashboard).where(
            Dashboard.team_id == team_id, Dashboard.slug == target_id, Dashboard.deleted_at.is_(None)
        )
    )
    if row is None:
        raise NotFound(f"dashboard '{target_id}' not found")
    return row.title, row.slug


def offer(row: Feedback) -> dict[str, Any] | None:
    """What accepting this feedback would add to the knowledge file (None: nothing to add)."""
    if row.rating == "up" and row.dashboard_slug and row.question:
        return {"kind": "verified_answer", "question": row.question[:500], "dashboard": row.dashboard_slug}
    if row.rating == "down" and row.correction:
        about = f" (about: {row.question.strip()[:200]})" if row.question else ""
        return {"kind": "instruction", "text": f"{row.correction.strip()}{about}"}
    return None


def listing(
    s: Session, who: Principal, team_id: str, *, after: tuple[Any, ...] | None = None, limit: int = 50
) -> list[Feedback]:
    """The team's feedback, newest first (any member)."""
    team = require_team(s, who, team_id)
    q = select(Feedback).where(Feedback.team_id == team.id)
    if after is not None:
        q = q.where(keyset.after(ORDER, after))
    return list(s.scalars(q.order_by(*keyset.order_by(ORDER)).limit(limit)))


def accept(c: Ports, s: Session, who: Principal, team_id: str, feedback_id: str) -> Feedback:
    """Write the feedback's offer into the knowledge file as a new version (team admins)."""
    from shared.services.knowledge import get_knowledge, save_knowledge

    team = require_team(s, who, team_id, role="admin")
    row = s.get(Feedback, feedback_id)
    if row is None or row.team_id != team.id:
        raise NotFound("feedback not found")
    if row.status == "accepted":
        return row  # accepted already: nothing is written twice
    change = offer(row)
    if change is None:
        raise Conflict(
            "this feedback offers no knowledge change (a thumbs-up without a dashboard, or a thumbs-down without a correction)"
        )
    current, text = get_knowledge(c, s, who, team.id)
    saved = save_knowledge(
        c, s, who, team.id, with_change(text, change), if_match=current.version if current else 0
    )
    row.status, row.accepted_version = "accepted", saved.row.version
    s.flush()
    return row
