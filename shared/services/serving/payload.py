"""The web payload: each view's rows and render spec, the parameters with their bound values."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import TYPE_CHECKING, Any

from shared.adapters.warehouse.port import QueryParam
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


def view_meta(dashboard: DashboardModel, view: CompiledView) -> dict[str, Any]:
    source = dashboard.view(view.view_id)
    return {
        "view_id": view.view_id,
        "type": view.type,
        "title": source.title if source is not None else None,
        "layout": source.layout.model_dump() if source is not None else None,
        "spec": view.spec,
    }


def parameters_json(dashboard: DashboardModel, params: tuple[QueryParam, ...]) -> list[dict[str, Any]]:
    values = {p.name: json_value(p.value) for p in params}
    out = []
    for p in dashboard.parameters:
        item = p.model_dump(
            include={"name", "type", "label", "options", "multiple", "values_from"}, exclude_none=True
        )
        item["value"] = (
            [values.get(n) for n in p.bound_names()] if p.type == "date_range" else values.get(p.name)
        )
        out.append(item)
    return out


def json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):  # not representable in JSON
            return None
        return float(f"{v:.12g}")  # drop binary float noise (1558877.5399999816 -> 1558877.54)
    return v
