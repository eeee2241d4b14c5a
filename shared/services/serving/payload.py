"""The web payload: each view's rows and render spec, the parameters with their bound values."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from shared.adapters.warehouse.port import QueryParam
from shared.adapters.warehouse.values import json_cell
from shared.services.result_cache import CachedResult

if TYPE_CHECKING:
    from shared.dashboards.compile import CompiledView
    from shared.dashboards.model import Dashboard as DashboardModel


def view_payload(view_id: str, r: CachedResult, status: str) -> dict[str, Any]:
    return {
        "_expires": r.expires_at,
        "view_id": view_id,
        "status": "ok",
        "columns": r.columns,
        "values": r.values,
        "row_count": r.row_count,
        "truncated": r.truncated,
        "bytes_processed": r.bytes_processed,
        "cache": status,
        "cached_at": dt.datetime.fromtimestamp(r.cached_at, dt.UTC).isoformat(),
        "expires_at": dt.datetime.fromtimestamp(r.expires_at, dt.UTC).isoformat(),
        "error": None,
    }


def split_totals(payload: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A table's totals row (marked by the compiled SQL) as ``totals``, out of the rows and columns.

    The cached result is shared, so new lists are built; ``row_count`` counts the rows only.
    """
    totals = spec.get("totals") if isinstance(spec, dict) else None
    if not totals or payload.get("status") != "ok":
        return payload
    names = [c["name"] for c in payload["columns"]]
    marker = totals["marker"]
    if marker not in names:
        return payload
    at = names.index(marker)
    flags = payload["values"][at]
    others = [
        (c, col)
        for j, (c, col) in enumerate(zip(payload["columns"], payload["values"], strict=True))
        if j != at
    ]
    keep = [i for i, flag in enumerate(flags) if not flag]
    first_total = next((i for i, flag in enumerate(flags) if flag), None)
    columns = [c for c, _ in others]
    values = [[col[i] for i in keep] for _, col in others]
    row = {c["name"]: col[first_total] for c, col in others} if first_total is not None else None
    total_rows = len(flags) - len(keep)
    return {
        **payload,
        "columns": columns,
        "values": values,
        "row_count": max(0, payload["row_count"] - total_rows),
        "totals": row,
    }


def empty_payload(view_id: str, *, error: dict[str, Any] | None = None) -> dict[str, Any]:
    """A view payload without rows: a text view, or a view that failed (``error``)."""
    return {
        "view_id": view_id,
        "status": "error" if error else "ok",
        "columns": [],
        "values": [],
        "row_count": 0,
        "truncated": False,
        "bytes_processed": 0,
        "cache": "none",
        "cached_at": None,
        "error": error,
    }


def view_meta(dashboard: DashboardModel, view: CompiledView, values: dict[str, Any]) -> dict[str, Any]:
    """A view's title (its templates rendered with ``values``), description, layout and spec."""
    from shared.dashboards.templates import render_text

    source = dashboard.view(view.view_id)
    description = getattr(source, "description", None)
    return {
        "view_id": view.view_id,
        "type": view.type,
        "title": render_text(source.title, values, dashboard.parameters) if source is not None else None,
        "title_template": source.title if source is not None else None,  # as written (edits keep it)
        "description": render_text(description, values, dashboard.parameters) if description else None,
        "layout": source.layout.model_dump() if source is not None else None,
        "spec": view.spec,
    }


def dashboard_json(dashboard: DashboardModel, row: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's head: title and description with their templates rendered with ``values``."""
    from shared.dashboards.templates import render_text

    return {
        "slug": row.slug,
        "title": render_text(dashboard.title, values, dashboard.parameters),
        "title_template": dashboard.title,
        "description": render_text(dashboard.description, values, dashboard.parameters),
        "version": row.version,
        "theme": dashboard.theme,
    }


def parameters_json(dashboard: DashboardModel, params: tuple[QueryParam, ...]) -> list[dict[str, Any]]:
    values = {p.name: json_cell(p.value) for p in params}
    out = []
    for p in dashboard.parameters:
        item = p.model_dump(
            include={"name", "type", "label", "options", "multiple", "all", "values_from"}, exclude_none=True
        )
        item["value"] = (
            [values.get(n) for n in p.bound_names()] if p.type == "date_range" else values.get(p.name)
        )
        out.append(item)
    return out
