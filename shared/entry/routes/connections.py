"""validate and scan: connection checks and the catalog."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

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
    who = principal()
    with container().db.session() as s:
        return catalog.catalog(s, connections.require_connection(s, who, connection_id))
