"""save_dashboard and dashboards: save (versioned), list, read, history, delete."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db.models import Dashboard, DashboardVersion
from shared.entry import paging
from shared.entry.app import container, json_body, obj, principal
from shared.entry.input_guard import parse_int
from shared.errors import BadRequest, Conflict, UnsupportedMediaType
from shared.services import dashboard_admin, dashboards

save_bp = Blueprint("save_dashboard", __name__)
read_bp = Blueprint("dashboards", __name__)

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
_SLUG = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]{0,79}$"}
_TITLE = {"type": "string", "minLength": 1, "maxLength": 300, "pattern": r"\S"}
RENAME_BODY = {**obj({"title": _TITLE, "slug": _SLUG}), "minProperties": 1}
DUPLICATE_BODY = obj({"title": _TITLE, "slug": _SLUG})


def dashboard_json(row: Dashboard) -> dict[str, Any]:
    c = container()
    return {
        "id": row.id,
        "team_id": row.team_id,
        "slug": row.slug,
        "title": row.title,
        "description": row.description,
        "connection_id": row.connection_id,
        "version": row.version,
        "yaml_path": row.yaml_path,
        "owner": row.owner_user_id,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "preview_url": f"{c.settings.public_url}/d/{row.team_id}/{row.slug}",
    }


def version_json(v: DashboardVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "title": v.title,
        "author": v.author_user_id,
        "created_at": v.created_at.isoformat(),
    }


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    return parse_int(raw.strip().removeprefix("W/").strip('"'), "If-Match")


@contextmanager
def saving() -> Iterator[None]:
    """A unique-key clash while saving means another save or repair recorded the same slug first."""
    try:
        yield
    except IntegrityError:
        raise Conflict(
            "the dashboard was saved by someone else at the same moment; reload and retry"
        ) from None


@save_bp.put("/v1/teams/<team_id>/dashboards/<slug>")
def save(team_id: str, slug: str) -> Any:
    who = principal()
    if request.mimetype not in YAML_TYPES:
        raise UnsupportedMediaType("send the dashboard YAML with Content-Type: application/yaml")
    try:
        text = request.get_data(as_text=False).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the YAML must be UTF-8") from None
    c = container()
    if_match, connection_id = _if_match(), request.args.get("connection_id")
    with saving():
        prepared = c.db.read_or_repair(  # validated and dry-run outside the write (SQLite's writer lock)
            lambda s: dashboards.prepare_save(
                c, s, who, team_id, slug, text, if_match=if_match, connection_id=connection_id
            )
        )
        with c.db.session() as s:
            result = dashboards.commit_save(c, s, who, prepared)
            body = {**dashboard_json(result.dashboard), "dry_run_bytes": result.bytes_by_query}
    _forget_pointers(team_id, slug)
    return body, 201 if result.created else 200, {"ETag": f'"{result.dashboard.version}"'}


def _saved(result: dashboards.SaveResult) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {**dashboard_json(result.dashboard), "dry_run_bytes": result.bytes_by_query}
    return body, 201 if result.created else 200, {"ETag": f'"{result.dashboard.version}"'}


@save_bp.post("/v1/teams/<team_id>/dashboards/<slug>/versions/<int:n>/restore")
def restore(team_id: str, slug: str, n: int) -> Any:
    """Version ``n`` saved again as the newest version."""
    who = principal()
    c = container()
    with saving(), c.db.session() as s:
        out = _saved(dashboard_admin.restore(c, s, who, team_id, slug, n, if_match=_if_match()))
    _forget_pointers(team_id, slug)
    return out


@save_bp.patch("/v1/teams/<team_id>/dashboards/<slug>")
def rename(team_id: str, slug: str) -> Any:
    """A new title (a new version) and/or a new slug (the dashboard moves)."""
    who = principal()
    body = json_body(RENAME_BODY)
    c = container()
    with saving(), c.db.session() as s:
        result = dashboard_admin.rename(
            c, s, who, team_id, slug, title=body.get("title"), new_slug=body.get("slug"), if_match=_if_match()
        )
        out = _saved(result)
    _forget_pointers(team_id, slug)
    _forget_pointers(team_id, out[0]["slug"])
    return out


@save_bp.post("/v1/teams/<team_id>/dashboards/<slug>/duplicate")
def duplicate(team_id: str, slug: str) -> Any:
    """A copy of the live version under a new slug, owned by the caller."""
    who = principal()
    body = json_body(DUPLICATE_BODY) if request.content_length else {}
    c = container()
    with saving(), c.db.session() as s:
        out = _saved(
            dashboard_admin.duplicate(
                c, s, who, team_id, slug, new_slug=body.get("slug"), title=body.get("title")
            )
        )
    _forget_pointers(team_id, out[0]["slug"])
    return out


@read_bp.get("/v1/teams/<team_id>/dashboards")
def list_all(team_id: str) -> Any:
    who = principal()
    want = paging.page("dashboards", (datetime, str, str))
    with container().db.read() as s:
        rows = dashboards.list_dashboards(s, who, team_id, after=want.after, limit=want.limit + 1)
        chunk, cursor = want.finish(rows, dashboards.dashboard_key)
        return {"dashboards": [dashboard_json(d) for d in chunk], "next_cursor": cursor}


@read_bp.get("/v1/teams/<team_id>/dashboards/<slug>")
def get_one(team_id: str, slug: str) -> Any:
    who = principal()
    c = container()

    def read(s: Session) -> tuple[dict[str, Any], str]:
        row, text = dashboards.get_dashboard(c, s, who, team_id, slug)
        return dashboard_json(row), text

    meta, text = c.db.read_or_repair(read)  # a read may repair the pointer row
    if request.args.get("format") == "yaml":
        return Response(
            text,
            mimetype="application/yaml",
            headers={
                "ETag": f'"{meta["version"]}"',
                "Content-Disposition": f'attachment; filename="{slug}.yaml"',
            },
        )
    return {**meta, "yaml": text}, 200, {"ETag": f'"{meta["version"]}"'}


@read_bp.get("/v1/teams/<team_id>/dashboards/<slug>/versions")
def list_versions(team_id: str, slug: str) -> Any:
    who = principal()
    c = container()
    want = paging.page("versions", (int,))

    def read(s: Session) -> dict[str, Any]:
        after = want.after[0] if want.after else None
        rows = dashboards.versions(c, s, who, team_id, slug, after=after, limit=want.limit + 1)
        chunk, cursor = want.finish(rows, lambda v: (v.version,))
        return {"versions": [version_json(v) for v in chunk], "next_cursor": cursor}

    return c.db.read_or_repair(read)


@read_bp.get("/v1/teams/<team_id>/dashboards/<slug>/versions/<int:n>")
def get_version(team_id: str, slug: str, n: int) -> Any:
    who = principal()
    c = container()

    def read(s: Session) -> dict[str, Any]:
        v, text = dashboards.version_text(c, s, who, team_id, slug, n)
        return {**version_json(v), "yaml": text}

    return c.db.read_or_repair(read)


@read_bp.delete("/v1/teams/<team_id>/dashboards/<slug>")
def delete(team_id: str, slug: str) -> Any:
    who = principal()
    c = container()
    with c.db.session() as s:
        dashboard_admin.delete(c, s, who, team_id, slug)
    _forget_pointers(team_id, slug)
    return "", 204


def _forget_pointers(team_id: str, slug: str) -> None:
    """This instance serves the new version (or the deletion) at once, not after the pointer TTL."""
    c = container()
    if "data_service" in c.__dict__:  # only if this instance has served data
        c.data_service.forget_pointers(team_id, slug)
