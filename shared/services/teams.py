"""Teams and membership; the one place that answers "may this user see this team?"."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.db import keyset
from shared.db.models import Team, TeamMember
from shared.errors import Conflict, Forbidden, NotFound

ROLES = ("admin", "member")


def slugify(text: str, *, max_len: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_len].strip("-")
    return slug or "team"


def create_team(s: Session, who: Principal, name: str) -> Team:
    """Create a team; the caller becomes its admin. Slugs get a suffix when taken."""
    slug = slugify(name)
    if s.scalar(select(Team.id).where(Team.slug == slug)) is not None:
        slug = f"{slug}-{secrets.token_hex(3)}"
    team = Team(name=name.strip(), slug=slug, admin_user_id=who.user_id)
    s.add(team)
    s.flush()
    s.add(TeamMember(team_id=team.id, user_id=who.user_id, role="admin"))
    s.flush()
    return team


# List orders, each ending in a unique column (keyset paging: shared.db.keyset).
TEAM_ORDER = (keyset.Key(Team.created_at), keyset.Key(Team.id))
_ADMIN_FIRST = case((TeamMember.role == "admin", 0), else_=1)
MEMBER_ORDER = (keyset.Key(_ADMIN_FIRST), keyset.Key(TeamMember.user_id))


def team_key(team: Team) -> tuple[Any, ...]:
    return (team.created_at, team.id)


def member_key(member: TeamMember) -> tuple[Any, ...]:
    return (0 if member.role == "admin" else 1, member.user_id)


def teams_of(
    s: Session, who: Principal, *, after: tuple[Any, ...] | None = None, limit: int | None = None
) -> list[tuple[Team, str]]:
    """The caller's teams, oldest first; ``limit`` of those after the key ``after`` when given."""
    q = (
        select(Team, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == who.user_id)
        .order_by(*keyset.order_by(TEAM_ORDER))
    )
    if after is not None:
        q = q.where(keyset.after(TEAM_ORDER, after))
    rows = s.execute(q if limit is None else q.limit(limit)).all()
    return [(t, r) for t, r in rows]


def require_team(s: Session, who: Principal, team_id: str, *, role: str = "member") -> Team:
    """The team if ``who`` belongs to it; NotFound otherwise (never reveals other teams)."""
    row = s.execute(
        select(Team, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.id == team_id, TeamMember.user_id == who.user_id)
    ).first()
    if row is None:
        raise NotFound("team not found")
    team, member_role = row
    if role == "admin" and member_role != "admin":
        raise Forbidden("only a team admin can do this")
    return team


def add_member(s: Session, who: Principal, team_id: str, email: str, role: str) -> TeamMember:
    """Add or update a member (admin only). Idempotent for the same email and role."""
    require_team(s, who, team_id, role="admin")
    user_id = email.strip().lower()
    member = s.get(TeamMember, (team_id, user_id))
    if member is None:
        member = TeamMember(team_id=team_id, user_id=user_id, role=role)
        s.add(member)
    elif member.user_id == who.user_id and role != "admin":
        raise Conflict("an admin cannot demote themselves")
    else:
        member.role = role
    s.flush()
    return member


def members_of(
    s: Session,
    who: Principal,
    team_id: str,
    *,
    after: tuple[Any, ...] | None = None,
    limit: int | None = None,
) -> list[TeamMember]:
    """The team's members, admins first (any member may list them); paged like :func:`teams_of`."""
    require_team(s, who, team_id)
    q = select(TeamMember).where(TeamMember.team_id == team_id).order_by(*keyset.order_by(MEMBER_ORDER))
    if after is not None:
        q = q.where(keyset.after(MEMBER_ORDER, after))
    return list(s.scalars(q if limit is None else q.limit(limit)))


def remove_member(s: Session, who: Principal, team_id: str, email: str) -> None:
    """Remove a member (admin only); the team always keeps at least one admin."""
    require_team(s, who, team_id, role="admin")
    member = s.get(TeamMember, (team_id, email.strip().lower()))
    if member is None:
        raise NotFound("member not found")
    if member.role == "admin":
        admins = s.scalars(
            select(TeamMember.user_id).where(TeamMember.team_id == team_id, TeamMember.role == "admin")
        ).all()
        if len(admins) <= 1:
            raise Conflict("a team keeps at least one admin: make someone else admin first")
    s.delete(member)
    s.flush()


@dataclass(frozen=True)
class TeamSettings:
    """What a team may set; ``None`` means the deployment's default (settings)."""

    model: str | None
    model_region: str | None
    byte_cap: int | None


SETTINGS_FIELDS = ("model", "model_region", "byte_cap")


def update_settings(s: Session, who: Principal, team_id: str, changes: dict[str, Any]) -> Team:
    """Apply ``changes`` (admin only): name, model (a known provider's), model region, byte cap."""
    from shared.adapters.model.registry import validate_model_name

    team = require_team(s, who, team_id, role="admin")
    if changes.get("model") is not None:
        validate_model_name(changes["model"])
    if "name" in changes:
        team.name = changes["name"].strip()
    for key in SETTINGS_FIELDS:
        if key in changes:
            setattr(team, key, changes[key])
    s.flush()
    return team


def settings_of(team: Team) -> TeamSettings:
    return TeamSettings(team.model, team.model_region, team.byte_cap)
