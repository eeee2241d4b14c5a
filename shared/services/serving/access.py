"""Who may read a dashboard: membership and the live pointer row, in one indexed query.

Every data request is authenticated and team-scoped here: another team's ids are a 404.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.bounded_cache import BoundedCache
from shared.db.models import Connection, Dashboard, Team, TeamMember
from shared.errors import NotFound
from shared.ports import Ports
from shared.services.dashboards import repair
from shared.services.teams import require_team

POINTER_TTL_S = 2.0  # how long a cache hit may trust a remembered membership + dashboard version

_LIVE_GENERATION = (
    select(Dashboard.generation)
    .join(TeamMember, TeamMember.team_id == Dashboard.team_id)
    .where(
        Dashboard.team_id == bindparam("team_id"),
        Dashboard.slug == bindparam("slug"),
        Dashboard.deleted_at.is_(None),
        TeamMember.user_id == bindparam("user_id"),
    )
)


class Access:
    """Membership + pointer lookups; the hot one remembered per instance for ``POINTER_TTL_S``."""

    def __init__(self, c: Ports) -> None:
        self.c = c
        self._pointers: BoundedCache[tuple[str, str, str], tuple[float, int]] = BoundedCache(4096)

    def live_generation(self, s: Session, who: Principal, team_id: str, slug: str, now: float) -> int | None:
        """The live generation of the dashboard if ``who`` is a member of its team.

        The hot path of a cache hit: one prebuilt, indexed lookup, remembered for ``POINTER_TTL_S``
        per (user, team, slug) on this instance, so a new version or a removed membership is seen
        here within that time (saves and deletes through this instance are seen at once).
        """
        remembered = self.remembered_generation(who, team_id, slug, now)
        if remembered is not None:
            return remembered
        key = (who.user_id, team_id, slug)
        generation = s.scalar(_LIVE_GENERATION, {"team_id": team_id, "slug": slug, "user_id": who.user_id})
        if generation is None:
            self._pointers.pop(key)
        else:
            self._pointers.put(key, (now + POINTER_TTL_S, generation))
        return generation

    def remembered_generation(self, who: Principal, team_id: str, slug: str, now: float) -> int | None:
        """The live generation this instance remembered for ``who`` within ``POINTER_TTL_S`` (else None)."""
        hit = self._pointers.get((who.user_id, team_id, slug))
        return hit[1] if hit is not None and now < hit[0] else None

    def forget(self, team_id: str, slug: str) -> None:
        """Drop remembered pointers of one dashboard (after a save or delete on this instance)."""
        self._pointers.pop_where(lambda key: key[1] == team_id and key[2] == slug)

    def pointer(
        self, s: Session, who: Principal, team_id: str, slug: str, *, repaired: bool = False
    ) -> tuple[Team, Dashboard, Connection]:
        """Team, live dashboard row and connection in one query, only for a member of the team."""
        found = s.execute(
            select(Team, Dashboard, Connection)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .join(Dashboard, Dashboard.team_id == Team.id)
            .join(Connection, Connection.id == Dashboard.connection_id)
            .where(
                Team.id == team_id,
                TeamMember.user_id == who.user_id,
                Dashboard.slug == slug,
                Dashboard.deleted_at.is_(None),
            )
        ).first()
        if found is not None:
            return found[0], found[1], found[2]
        require_team(s, who, team_id)  # NotFound for another team's ids
        row = None if repaired else repair(self.c, s, team_id, slug)  # a save that crashed before its row
        if row is None or row.deleted_at is not None:
            raise NotFound(f"dashboard '{slug}' not found")
        return self.pointer(s, who, team_id, slug, repaired=True)
