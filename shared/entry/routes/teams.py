"""onboard: teams, members and connections."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from shared.db.models import Connection, Team
from shared.entry.app import container, json_body, obj, principal
from shared.services import connections, teams

bp = Blueprint("teams", __name__)

NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}
TEAM_BODY = obj({"name": NAME}, ["name"])
MEMBER_BODY = obj(
    {
        "email": {"type": "string", "format": "email", "pattern": r"^[^@\s]+@[^@\s]+$", "maxLength": 320},
        "role": {"enum": list(teams.ROLES)},
    },
    ["email", "role"],
)
CONNECTION_BODY = obj(
    {
        "name": NAME,
        "warehouse_type": {"enum": ["bigquery", "duckdb"]},
        "credentials": {"type": "object", "description": "Service-account key JSON (bigquery)."},
        "path": {"type": "string", "minLength": 1, "maxLength": 1000},
        "project": {"type": "string", "minLength": 1, "maxLength": 200},
        "location": {"type": "string", "minLength": 1, "maxLength": 100},
    },
    ["name", "warehouse_type"],
)


def team_json(team: Team, role: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": team.id, "name": team.name, "slug": team.slug}
    if role:
        out["role"] = role
    return out


def connection_json(conn: Connection) -> dict[str, Any]:
    return {
        "id": conn.id,
        "team_id": conn.team_id,
        "name": conn.name,
        "warehouse_type": conn.warehouse_type,
        "project": conn.config.get("project"),
        "location": conn.config.get("location"),
        "status": conn.status,
        "validated_at": conn.validated_at.isoformat() if conn.validated_at else None,
        "last_error": conn.last_error,
        "scanned_at": conn.scanned_at.isoformat() if conn.scanned_at else None,
    }


@bp.post("/v1/teams")
def create_team() -> Any:
    body = json_body(TEAM_BODY)
    who = principal()
    with container().db.session() as s:
        team = teams.create_team(s, who, body["name"])
        return team_json(team, "admin"), 201


@bp.get("/v1/teams")
def list_teams() -> Any:
    who = principal()
    with container().db.session() as s:
        return {"teams": [team_json(t, role) for t, role in teams.teams_of(s, who)]}


@bp.post("/v1/teams/<team_id>/members")
def add_member(team_id: str) -> Any:
    body = json_body(MEMBER_BODY)
    who = principal()
    with container().db.session() as s:
        m = teams.add_member(s, who, team_id, body["email"], body["role"])
        return {"team_id": team_id, "email": m.user_id, "role": m.role}, 201


@bp.post("/v1/teams/<team_id>/connections")
def create_connection(team_id: str) -> Any:
    body = json_body(CONNECTION_BODY)
    who = principal()
    c = container()
    with c.db.session() as s:
        conn = connections.create_connection(c, s, who, team_id, body)
        return connection_json(conn), 201


@bp.get("/v1/teams/<team_id>/connections")
def list_connections(team_id: str) -> Any:
    who = principal()
    with container().db.session() as s:
        return {"connections": [connection_json(c) for c in connections.connections_of(s, who, team_id)]}
