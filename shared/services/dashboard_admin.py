"""Managing dashboards: restore a version, rename (title or slug), duplicate, who may delete.

Each change is a save through :func:`dashboards.save_dashboard`, so it is validated, dry-run,
versioned and compare-and-swapped like any other; the YAML stays the truth.
"""

from __future__ import annotations

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.db.models import Dashboard, TeamMember
from shared.errors import Conflict, Forbidden, ValidationFailed
from shared.ports import Ports
from shared.services import dashboards
from shared.services.dashboards import SaveResult, check_slug, get_dashboard, save_dashboard, version_text

MAX_COPIES = 50


def require_owner_or_admin(s: Session, who: Principal, row: Dashboard) -> None:
    """Deleting or moving a dashboard is for its owner and the team's admins."""
    if row.owner_user_id == who.user_id:
        return
    role = s.scalar(
        select(TeamMember.role).where(TeamMember.team_id == row.team_id, TeamMember.user_id == who.user_id)
    )
    if role != "admin":
        raise Forbidden("only the dashboard's owner or a team admin can do this")


def delete(c: Ports, s: Session, who: Principal, team_id: str, slug: str) -> None:
    row, _ = get_dashboard(c, s, who, team_id, slug)
    require_owner_or_admin(s, who, row)
    dashboards.delete_dashboard(c, s, who, team_id, slug)


def restore(
    c: Ports, s: Session, who: Principal, team_id: str, slug: str, n: int, *, if_match: int | None
) -> SaveResult:
    """Version ``n`` saved again as a new version (``if_match``: the version it replaces)."""
    row, _ = get_dashboard(c, s, who, team_id, slug)
    _, text = version_text(c, s, who, team_id, slug, n)
    current = row.version if if_match is None else if_match
    return save_dashboard(c, s, who, team_id, slug, text, if_match=current)


def with_title(text: str, title: str) -> str:
    """The YAML with its top-level ``title`` replaced (comments and layout kept) or added."""
    root = yaml.compose(text)
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "title":
                start, end = value.start_mark.index, value.end_mark.index
                tail = "\n" if text[start:end].endswith("\n") else ""
                return f"{text[:start]}{_quoted(title)}{tail}{text[end:]}"
    return f"title: {_quoted(title)}\n{text}"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (non-printable characters escaped)."""
    return yaml.safe_dump(text, allow_unicode=True, default_style='"', width=10**9).strip()


def rename(
    c: Ports,
    s: Session,
    who: Principal,
    team_id: str,
    slug: str,
    *,
    title: str | None,
    new_slug: str | None,
    if_match: int | None,
) -> SaveResult:
    """A new title (a new version) and/or a new slug (the dashboard moves; owner or admin only)."""
    row, text = get_dashboard(c, s, who, team_id, slug)
    if if_match is not None and if_match != row.version:
        raise Conflict(
            f"dashboard '{slug}' is at version {row.version}, not {if_match}",
            details={"current_version": row.version},
        )
    if title is not None:
        text = with_title(text, title)
    if new_slug is None or new_slug == slug:
        return save_dashboard(c, s, who, team_id, slug, text, if_match=row.version)
    check_slug(new_slug)
    require_owner_or_admin(s, who, row)
    moved = save_dashboard(c, s, who, team_id, new_slug, text, if_match=0, connection_id=row.connection_id)
    dashboards.delete_dashboard(c, s, who, team_id, slug)
    return moved


def duplicate(
    c: Ports,
    s: Session,
    who: Principal,
    team_id: str,
    slug: str,
    *,
    new_slug: str | None,
    title: str | None,
) -> SaveResult:
    """A copy under ``new_slug`` (default ``<slug>-copy``, then ``-copy-2``…), owned by the caller."""
    row, text = get_dashboard(c, s, who, team_id, slug)
    text = with_title(text, title if title is not None else f"{row.title} (copy)")
    if new_slug is not None:
        check_slug(new_slug)
        return save_dashboard(c, s, who, team_id, new_slug, text, if_match=0, connection_id=row.connection_id)
    taken = set(
        s.scalars(
            select(Dashboard.slug).where(
                Dashboard.team_id == team_id,
                Dashboard.slug.like(f"{slug[:70]}-copy%"),
                Dashboard.deleted_at.is_(None),
            )
        )
    )
    for i in range(1, MAX_COPIES + 1):
        candidate = f"{slug[:70]}-copy" if i == 1 else f"{slug[:70]}-copy-{i}"
        if candidate not in taken:
            return save_dashboard(
                c, s, who, team_id, candidate, text, if_match=0, connection_id=row.connection_id
            )
    raise ValidationFailed(
        f"'{slug}' has {MAX_COPIES} copies already; name the copy",
        details=[{"path": "slug", "message": "give the copy a slug"}],
    )
