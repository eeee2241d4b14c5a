"""The demo team and demo warehouse connection for local runs (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from shared.adapters.identity.port import Principal
from shared.db.models import Connection, Team
from shared.ports import Ports
from shared.services import catalog, connections, teams
from shared.settings import DEMO_EMAIL, DEMO_TEAM

__all__ = ["DEMO_CONNECTION", "DEMO_EMAIL", "DEMO_TEAM", "seed_demo"]

DEMO_CONNECTION = "Demo warehouse"


def seed_demo(c: Ports) -> tuple[str, str]:
    """Ensure the demo warehouse file, team and scanned connection exist; return (team_id, connection_id)."""
    from shared.dev.demo_data import ensure_demo

    path = ensure_demo(c.settings.demo_warehouse_path, scale=c.settings.demo_scale)
    who = Principal(DEMO_EMAIL, DEMO_EMAIL)
    with c.db.session() as s:
        team = s.scalar(select(Team).where(Team.admin_user_id == DEMO_EMAIL, Team.name == DEMO_TEAM))
        if team is None:
            team = teams.create_team(s, who, DEMO_TEAM)
        conn = s.scalar(
            select(Connection).where(Connection.team_id == team.id, Connection.name == DEMO_CONNECTION)
        )
        if conn is None:
            conn = connections.create_connection(
                c,
                s,
                who,
                team.id,
                {"name": DEMO_CONNECTION, "warehouse_type": "duckdb", "path": str(path), "project": "demo"},
            )
        if conn.status != "valid":
            connections.validate_connection(c, s, conn)
        if conn.scanned_at is None:
            catalog.scan(c, s, conn)
        return team.id, conn.id
