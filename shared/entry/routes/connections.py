"""validate and scan: connection checks and the catalog."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from shared.entry import paging
from shared.entry.app import container, principal
from shared.entry.routes.teams import connection_json
from shared.services import catalog, connections

validate_bp = Blueprint("validate", __name__)
scan_bp = Blueprint("scan", __name__)


@validate_bp.post("/v1/connections/<connection_id>/validate")
def validate(connection_id: str) -> Any:
    who = principal()
    c = container()
    with c.db.session() as s:
        conn = connections.validate_connection(c, s, connections.require_connection(s, who, connection_id))
        out = connection_json(conn)
        return {
            "id": conn.id,
            "status": conn.status,
            "validated_at": out["validated_at"],
            "error": conn.last_error,
        }


@scan_bp.post("/v1/connections/<connection_id>/scan")
def scan(connection_id: str) -> Any:
    who = principal()
    c = container()
    with c.db.session() as s:
        conn = connections.require_connection(s, who, connection_id)
        counts = catalog.scan(c, s, conn)
        return {"id": conn.id, **counts}


@scan_bp.get("/v1/connections/<connection_id>/catalog")
def get_catalog(connection_id: str) -> Any:
    """The scanned catalog, paged by table (``?limit=`` tables after ``?cursor=``)."""
    who = principal()
    want = paging.page("catalog", (str, str))
    with container().db.session() as s:
        conn = connections.require_connection(s, who, connection_id)
        rows = catalog.catalog_tables(s, conn, after=want.after, limit=want.limit + 1)
        chunk, cursor = want.finish(rows, catalog.table_key)
        return {**catalog.catalog(s, conn, chunk, first_page=want.after is None), "next_cursor": cursor}
