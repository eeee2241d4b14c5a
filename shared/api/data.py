"""serve_data: dashboard data with cache and byte cap, refresh and warm."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shared.bootstrap import get_container
from shared.http.app import principal
from shared.services import serving
from shared.services.teams import require_team

bp = Blueprint("data", __name__)
BASE = "/v1/teams/<team_id>/dashboards/<slug>"


def _params() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "access_token"}


@bp.get(f"{BASE}/data")
def all_views(team_id: str, slug: str) -> Any:
    who = principal()
    c = get_container()
    with c.db.session() as s:
        return serving.dashboard_data(c, s, who, team_id, slug, _params())


@bp.get(f"{BASE}/data/<view_id>")
def one_view(team_id: str, slug: str, view_id: str) -> Any:
    who = principal()
    c = get_container()
    with c.db.session() as s:
        return serving.dashboard_data(c, s, who, team_id, slug, _params(), view_id=view_id)


@bp.post(f"{BASE}/refresh")
def refresh(team_id: str, slug: str) -> Any:
    """Recompute every view (or ``?view=<id>``) now, bypassing the cache."""
    who = principal()
    c = get_container()
    with c.db.session() as s:
        return serving.dashboard_data(
            c,
            s,
            who,
            team_id,
            slug,
            {k: v for k, v in _params().items() if k != "view"},
            view_id=request.args.get("view"),
            force=True,
        )


@bp.post(f"{BASE}/warm")
def warm(team_id: str, slug: str) -> Any:
    who = principal()
    c = get_container()
    with c.db.session() as s:
        return serving.warm(c, s, require_team(s, who, team_id), slug)
