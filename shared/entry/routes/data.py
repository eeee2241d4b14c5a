"""serve_data: dashboard data with cache and byte cap, refresh and warm.

The serving service, the CSV export, the view's SQL and the parameter values are imported where
they are served: a cold instance answering a cache hit another instance shared
(:mod:`shared.services.serving.cold_hit`) loads neither SQLAlchemy nor the dashboard model.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from shared.dashboards.params import MULTI_SEPARATOR
from shared.entry.app import bearer_token, container, principal
from shared.services.serving.body import Body

bp = Blueprint("data", __name__)
BASE = "/v1/teams/<team_id>/dashboards/<slug>"


def _params() -> dict[str, str]:
    """Query-string arguments; a repeated one (a multi-value parameter) joined by newlines."""
    return {k: MULTI_SEPARATOR.join(vs) for k, vs in request.args.lists() if k != "access_token"}


def _cold_hit(team_id: str, slug: str, view_id: str | None, params: dict[str, str]) -> Body | None:
    """A hit from a shared response while this instance has no serving service yet (else None)."""
    c = container()
    token = bearer_token()
    if token is None or c.data_service_built or c.cold_hits is None:
        return None
    return c.cold_hits.response(token, team_id, slug, view_id, tuple(sorted(params.items())))


def _remembered_hit(team_id: str, slug: str, view_id: str | None, params: dict[str, str]) -> Body | None:
    """A warm hit this instance remembers whole (membership, pointer and response): no database."""
    c = container()
    if not c.data_service_built:
        return None
    return c.data_service.remembered_response(principal(), team_id, slug, params, view_id=view_id)


def _respond(team_id: str, slug: str, view_id: str | None = None, *, force: bool = False) -> Response:
    params = {k: v for k, v in _params().items() if not (force and k == "view")}
    body = (
        None
        if force
        else _cold_hit(team_id, slug, view_id, params) or _remembered_hit(team_id, slug, view_id, params)
    )
    if body is None:
        who = principal()
        c = container()
        body = c.db.read_or_repair(  # on SQLite a miss holds no writer lock while the warehouse runs
            lambda s: c.data_service.response(s, who, team_id, slug, params, view_id=view_id, force=force)
        )
    resp = Response(mimetype="application/json")
    if not force and "gzip" in request.headers.get("Accept-Encoding", ""):
        resp.set_data(body.packed)
        resp.headers["Content-Encoding"] = "gzip"
    else:  # a refresh (POST) is sent uncompressed, as it always was: its miss gzips nothing
        resp.set_data(body.raw)
    resp.vary.add("Accept-Encoding")
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@bp.get(f"{BASE}/data")
def all_views(team_id: str, slug: str) -> Any:
    return _respond(team_id, slug)


@bp.get(f"{BASE}/data/<view_id>.csv")
def view_csv(team_id: str, slug: str, view_id: str) -> Any:
    """One view's rows as CSV: the same rows, limits and byte cap as the data API."""
    from shared.services import view_export

    who = principal()
    c = container()
    params = _params()
    out = c.db.read_or_repair(lambda s: view_export.view_csv(c, s, who, team_id, slug, view_id, params))
    resp = Response(out.text, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{slug}-{view_id}.csv"'
    resp.headers["X-Bridge-Rows"] = str(out.rows)
    resp.headers["X-Bridge-Truncated"] = "true" if out.truncated else "false"
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@bp.get(f"{BASE}/data/<view_id>/sql")
def view_sql(team_id: str, slug: str, view_id: str) -> Any:
    """The SQL one view runs, its bound parameters and a dry run under the team's byte cap."""
    from shared.services import view_export

    who = principal()
    c = container()
    params = _params()
    return c.db.read_or_repair(lambda s: view_export.view_sql(c, s, who, team_id, slug, view_id, params))


@bp.get(f"{BASE}/parameters/<name>/values")
def parameter_values(team_id: str, slug: str, name: str) -> Any:
    """The choices of a parameter with ``values_from`` (``?q=`` narrows them), capped."""
    from shared.services import param_values

    who = principal()
    c = container()
    params = _params()
    return c.db.read_or_repair(
        lambda s: param_values.parameter_values(c, s, who, team_id, slug, name, params)
    )


@bp.get(f"{BASE}/data/<view_id>")
def one_view(team_id: str, slug: str, view_id: str) -> Any:
    return _respond(team_id, slug, view_id)


@bp.post(f"{BASE}/refresh")
def refresh(team_id: str, slug: str) -> Any:
    """Recompute every view (or ``?view=<id>``) now, bypassing the cache."""
    return _respond(team_id, slug, request.args.get("view"), force=True)


@bp.post(f"{BASE}/warm")
def warm(team_id: str, slug: str) -> Any:
    from shared.services import serving
    from shared.services.teams import require_team

    who = principal()
    c = container()
    return c.db.read_or_repair(lambda s: serving.warm(c, s, require_team(s, who, team_id), slug))
