"""One view out of a dashboard: its rows as CSV, and its SQL with a dry run.

Both go through the data service, so they get the same membership check, parameters,
cross-filters, cache, row limit and byte cap as ``GET …/data``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.dashboards.visible import visible_view
from shared.errors import BridgeError, ByteCapExceeded, NotFound, Timeout, Unavailable, WarehouseError
from shared.services.queries import ConnectionSql, byte_cap
from shared.services.serving import ServingPorts, cross_filtered
from shared.services.teams import require_team

_ERRORS: dict[str, type[BridgeError]] = {
    cls.code: cls for cls in (ByteCapExceeded, WarehouseError, Timeout, Unavailable, NotFound)
}


@dataclass(frozen=True)
class ViewCsv:
    text: str
    rows: int
    truncated: bool


def view_csv(
    c: ServingPorts, s: Session, who: Principal, team_id: str, slug: str, view_id: str, raw: dict[str, str]
) -> ViewCsv:
    """The view's rows as CSV (a header line, then one line per row): the data API's visible rows."""
    body = c.data_service.response(s, who, team_id, slug, raw, view_id=view_id)
    view = visible_view(json.loads(body.raw)["views"][0])  # the rows a user sees (dashboards/visible.py)
    if view["status"] == "error":
        err = view["error"] or {}
        cls = _ERRORS.get(str(err.get("code")), BridgeError)
        raise cls(str(err.get("message") or "the view could not be computed"), details=err.get("details"))
    if view["type"] == "text":
        raise NotFound(f"view '{view_id}' is text and has no rows")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([col["name"] for col in view["columns"]])
    columns = view["values"]
    for i in range(view["row_count"]):
        writer.writerow([_cell(column[i]) for column in columns])
    return ViewCsv(out.getvalue(), view["row_count"], bool(view["truncated"]))


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _numeric(value):
        return f"'{value}"  # no formula injection when the file opens in a spreadsheet
    return "" if value is None else value


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def view_sql(
    c: ServingPorts, s: Session, who: Principal, team_id: str, slug: str, view_id: str, raw: dict[str, str]
) -> dict[str, Any]:
    """The SQL a view runs (formatted), its bound parameters and a dry run under the team's cap."""
    from shared.dashboards.params import bind_parameters, select_parameters

    team = require_team(s, who, team_id)
    svc = c.data_service
    loaded = svc.load(s, team, slug)
    (compiled, extra), applied = cross_filtered(loaded, raw)
    view = next((v for v in compiled.views if v.view_id == view_id), None)
    if view is None:
        raise NotFound(f"view '{view_id}' not found")
    cap = byte_cap(c, team)
    out: dict[str, Any] = {
        "view_id": view_id,
        "query": view.query_name,
        "sql": view.sql,
        "parameters": [],
        "filtered_by": applied.get(view.query_name or "", []),
        "dry_run_bytes": None,
        "byte_cap": cap,
        "dry_run_error": None,
    }
    if view.sql is None:
        return out
    params = select_parameters((*bind_parameters(loaded.dashboard, raw), *extra), view.parameter_names)
    out["parameters"] = [{"name": p.name, "type": p.type, "value": _text(p.value)} for p in params]
    try:
        out["dry_run_bytes"] = (
            ConnectionSql.load(c, s, loaded.conn).dry_run(view.sql, params).total_bytes_processed
        )
    except BridgeError as err:
        out["dry_run_error"] = err.to_dict()["error"]
    return out


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
