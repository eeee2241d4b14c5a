"""The eval team and its connections, made through the product's own services (team, connection, scan)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from shared.adapters.identity.port import Principal
from shared.bootstrap import Container
from shared.db.models import Connection, Team, TeamMember
from shared.errors import BadRequest, NotFound
from shared.services import catalog, connections, teams

EVAL_EMAIL = "eval@bridge.local"
EVAL_TEAM = "Evaluation"


def eval_user() -> Principal:
    return Principal(EVAL_EMAIL, EVAL_EMAIL)


def ensure_team(c: Container, who: Principal, name: str = EVAL_TEAM) -> str:
    """The id of ``who``'s team called ``name``, created on first use."""
    with c.db.session() as s:
        team = s.scalar(select(Team).where(Team.admin_user_id == who.user_id, Team.name == name))
        if team is None:
            team = teams.create_team(s, who, name)
        return team.id


def ensure_connection(c: Container, who: Principal, team_id: str, name: str, path: Path, project: str) -> str:
    """A validated, scanned DuckDB connection of the team over ``path`` (one per case database)."""
    with c.db.session() as s:
        conn = s.scalar(select(Connection).where(Connection.team_id == team_id, Connection.name == name))
        if conn is None:
            body = {"name": name, "warehouse_type": "duckdb", "path": str(path), "project": project}
            conn = connections.create_connection(c, s, who, team_id, body)
        if conn.status != "valid":
            connections.validate_connection(c, s, conn)
            if conn.status != "valid":
                raise BadRequest(f"connection {name!r} is not usable: {conn.last_error}")
        catalog.scan(c, s, conn)
        return conn.id


def existing_connection(c: Container, team_id: str, connection: str) -> tuple[Principal, str]:
    """A team's own connection (by id or name) and a principal of that team (its admin)."""
    with c.db.session() as s:
        team = s.get(Team, team_id)
        if team is None:
            raise NotFound(f"team {team_id!r} not found")
        conn = s.scalar(
            select(Connection).where(
                Connection.team_id == team_id, (Connection.id == connection) | (Connection.name == connection)
            )
        )
        if conn is None:
            raise NotFound(f"connection {connection!r} not found in team {team_id!r}")
        member = s.scalar(
            select(TeamMember.user_id).where(TeamMember.team_id == team_id, TeamMember.role == "admin")
        )
        user = member or team.admin_user_id
        return Principal(user, user), conn.id


def table_names(c: Container, connection_id: str) -> dict[str, str]:
    """Scanned tables of a connection: lower-cased short name → fully qualified name."""
    with c.db.session() as s:
        conn = s.get(Connection, connection_id)
        assert conn is not None
        return {fq.rsplit(".", 1)[-1]: fq for fq in sorted(catalog.allowed_tables(s, conn))}


def use_knowledge(c: Container, who: Principal, team_id: str, conn_id: str, knowledge: str) -> str | None:
    """Save ``knowledge`` (a file's text, or "starter": the starter of this connection's catalog,
    unchanged) as the team's knowledge file, checked on ``conn_id``; the reason when it is refused."""
    from shared.db.models import TeamKnowledge
    from shared.errors import BridgeError
    from shared.services.knowledge import catalog_tables, save_knowledge
    from shared.services.knowledge_starter import starter_yaml

    try:
        with c.db.session() as s:
            text = knowledge
            conn = s.get(Connection, conn_id)
            if conn is None:
                return f"connection {conn_id} not found"
            if knowledge == "starter":
                text = starter_yaml(catalog_tables(s, conn))
            row = s.get(TeamKnowledge, team_id)
            save_knowledge(
                c, s, who, team_id, text, if_match=row.version if row else 0, connection_id=conn_id
            )
    except BridgeError as e:
        return e.message
    return None
