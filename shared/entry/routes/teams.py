"""onboard: teams, members and connections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint

from shared.adapters.model.registry import known_models
from shared.db.models import Connection, Team
from shared.entry import paging
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
TEAM_PATCH = obj(
    {
        "name": NAME,
        "model": {
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 100,
            "description": "offline, gemini-<version>, openai:<model id> or anthropic:<model id>; null = default.",
        },
        "model_region": {
            "type": ["string", "null"],
            "pattern": r"^(global|[a-z]+-[a-z]+[0-9]+)$",
            "maxLength": 50,
            "description": "Vertex AI region of a Gemini model; null = default.",
        },
        "byte_cap": {
            "type": ["integer", "null"],
            "minimum": 1_000_000,
            "maximum": 100_000_000_000_000,
            "description": "maximum_bytes_billed of every query; null = default.",
        },
    },
    [],
) | {"minProperties": 1}
CONNECTION_BODY = obj(
    {
        "name": NAME,
        "warehouse_type": {"enum": ["bigquery", "duckdb"]},
        "credentials": {"type": "object", "description": "Service-account key JSON (bigquery, auth=key)."},
        "auth": {
            "enum": ["key", "keyless"],
            "description": "bigquery: key (credentials) or keyless (grant Bridge's account; no key).",
        },
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


def team_detail_json(team: Team, role: str | None = None) -> dict[str, Any]:
    """A team with its settings: the team's own values (null = default) and what is in effect."""
    defaults = container().settings
    own = teams.settings_of(team)
    return {
        **team_json(team, role),
        "settings": {"model": own.model, "model_region": own.model_region, "byte_cap": own.byte_cap},
        "effective": {
            "model": own.model or defaults.model,
            "model_region": own.model_region or defaults.model_region,
            "byte_cap": own.byte_cap or defaults.default_byte_cap,
        },
        "known_models": known_models(),
    }


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
        **_keyless_json(conn),
    }


def _keyless_json(conn: Connection) -> dict[str, Any]:
    """For a keyless connection: the account to grant and the exact commands to run."""
    account = conn.config.get("service_account")
    if not account:
        return {"auth": "key"} if conn.warehouse_type == "bigquery" else {}
    from shared.adapters.warehouse.keyless import grant_commands

    return {
        "auth": "keyless",
        "service_account": account,
        "grant_commands": grant_commands(account, conn.config["project"]),
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
    want = paging.page("teams", (datetime, str))
    with container().db.session() as s:
        rows = teams.teams_of(s, who, after=want.after, limit=want.limit + 1)
        chunk, cursor = want.finish(rows, lambda row: teams.team_key(row[0]))
        return {"teams": [team_json(t, role) for t, role in chunk], "next_cursor": cursor}


@bp.get("/v1/teams/<team_id>")
def get_team(team_id: str) -> Any:
    who = principal()
    with container().db.session() as s:
        team = teams.require_team(s, who, team_id)
        role = next((r for t, r in teams.teams_of(s, who) if t.id == team.id), None)
        return team_detail_json(team, role)


@bp.patch("/v1/teams/<team_id>")
def update_team(team_id: str) -> Any:
    body = json_body(TEAM_PATCH)
    who = principal()
    with container().db.session() as s:
        team = teams.update_settings(s, who, team_id, body)
        return team_detail_json(team, "admin")


@bp.get("/v1/teams/<team_id>/members")
def list_members(team_id: str) -> Any:
    who = principal()
    want = paging.page("members", (int, str))
    with container().db.session() as s:
        rows = teams.members_of(s, who, team_id, after=want.after, limit=want.limit + 1)
        members, cursor = want.finish(rows, teams.member_key)
        return {"members": [{"email": m.user_id, "role": m.role} for m in members], "next_cursor": cursor}


@bp.delete("/v1/teams/<team_id>/members/<email>")
def remove_member(team_id: str, email: str) -> Any:
    who = principal()
    with container().db.session() as s:
        teams.remove_member(s, who, team_id, email)
    return "", 204


@bp.delete("/v1/teams/<team_id>/connections/<connection_id>")
def delete_connection(team_id: str, connection_id: str) -> Any:
    who = principal()
    c = container()
    with c.db.session() as s:
        connections.delete_connection(c, s, who, team_id, connection_id)
    return "", 204


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
    want = paging.page("connections", (datetime, str))
    with container().db.session() as s:
        rows = connections.connections_of(s, who, team_id, after=want.after, limit=want.limit + 1)
        chunk, cursor = want.finish(rows, connections.connection_key)
        return {"connections": [connection_json(c) for c in chunk], "next_cursor": cursor}
