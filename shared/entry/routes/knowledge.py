"""The team knowledge file: read, save (admins, If-Match), history, restore and a starter from the catalog.

Reads are served by the ``dashboards`` function; saves, restores and the starter (they read the
catalog and dry-run on the warehouse) by ``save_dashboard``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db.models import TeamKnowledge, TeamKnowledgeVersion
from shared.entry import paging
from shared.entry.app import container, principal
from shared.entry.input_guard import parse_int
from shared.entry.routes.dashboards import YAML_TYPES
from shared.errors import BadRequest, Conflict, UnsupportedMediaType
from shared.services import knowledge

write_bp = Blueprint("knowledge_write", __name__)
read_bp = Blueprint("knowledge_read", __name__)


def knowledge_json(team_id: str, row: TeamKnowledge | None, text: str) -> dict[str, Any]:
    return {
        "team_id": team_id,
        "version": row.version if row else 0,
        "connection_id": row.connection_id if row else None,
        "updated_at": row.updated_at.isoformat() if row else None,
        "yaml": text,
    }


def version_json(v: TeamKnowledgeVersion) -> dict[str, Any]:
    return {"version": v.version, "author": v.author_user_id, "created_at": v.created_at.isoformat()}


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    return parse_int(raw.strip().removeprefix("W/").strip('"'), "If-Match")


def _saved(team_id: str, saved: knowledge.Saved, text: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {**knowledge_json(team_id, saved.row, text), "metrics_checked": saved.metrics}
    return body, 201 if saved.created else 200, {"ETag": f'"{saved.row.version}"'}


@write_bp.put("/v1/teams/<team_id>/knowledge")
def save(team_id: str) -> Any:
    who = principal()
    if request.mimetype not in YAML_TYPES:
        raise UnsupportedMediaType("send the knowledge YAML with Content-Type: application/yaml")
    try:
        text = request.get_data(as_text=False).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the YAML must be UTF-8") from None
    c = container()
    try:
        with c.db.session() as s:
            saved = knowledge.save_knowledge(
                c,
                s,
                who,
                team_id,
                text,
                if_match=_if_match(),
                connection_id=request.args.get("connection_id"),
            )
            return _saved(team_id, saved, text)
    except IntegrityError:
        raise Conflict(
            "the knowledge file was saved by someone else at the same moment; reload and retry"
        ) from None


@write_bp.post("/v1/teams/<team_id>/knowledge/versions/<int:n>/restore")
def restore(team_id: str, n: int) -> Any:
    who = principal()
    c = container()
    try:
        with c.db.session() as s:
            saved = knowledge.restore(c, s, who, team_id, n, if_match=_if_match())
            _, text = knowledge.get_knowledge(c, s, who, team_id)
            return _saved(team_id, saved, text)
    except IntegrityError:
        raise Conflict(
            "the knowledge file was saved by someone else at the same moment; reload and retry"
        ) from None


@write_bp.post("/v1/teams/<team_id>/knowledge/starter")
def starter(team_id: str) -> Any:
    """A starter file from the catalog scan (not saved: the admin reviews it and PUTs it)."""
    from shared.services.knowledge_starter import starter_yaml

    who = principal()
    c = container()
    with c.db.session() as s:
        team = knowledge.require_team(s, who, team_id, role="admin")
        conn = knowledge.team_connection(s, team, request.args.get("connection_id"))
        return {
            "team_id": team.id,
            "connection_id": conn.id,
            "yaml": starter_yaml(knowledge.catalog_tables(s, conn)),
        }


@read_bp.get("/v1/teams/<team_id>/knowledge")
def get(team_id: str) -> Any:
    who = principal()
    c = container()

    def read(s: Session) -> dict[str, Any]:
        row, text = knowledge.get_knowledge(c, s, who, team_id)
        return knowledge_json(team_id, row, text)

    body = c.db.read_or_repair(read)
    etag = {"ETag": f'"{body["version"]}"'}
    if request.args.get("format") == "yaml":
        return Response(body["yaml"], mimetype="application/yaml", headers=etag)
    return body, 200, etag


@read_bp.get("/v1/teams/<team_id>/knowledge/versions")
def list_versions(team_id: str) -> Any:
    who = principal()
    want = paging.page("knowledge_versions", (int,))

    def read(s: Session) -> dict[str, Any]:
        after = want.after[0] if want.after else None
        rows = knowledge.versions(s, who, team_id, after=after, limit=want.limit + 1)
        chunk, cursor = want.finish(rows, lambda v: (v.version,))
        return {"versions": [version_json(v) for v in chunk], "next_cursor": cursor}

    return container().db.read_or_repair(read)


@read_bp.get("/v1/teams/<team_id>/knowledge/versions/<int:n>")
def get_version(team_id: str, n: int) -> Any:
    who = principal()
    c = container()

    def read(s: Session) -> dict[str, Any]:
        v, text = knowledge.version_text(c, s, who, team_id, n)
        return {**version_json(v), "yaml": text}

    return c.db.read_or_repair(read)
