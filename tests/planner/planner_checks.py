"""Expectations on a generated dashboard, shared by the demo and second-schema development sets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    """One request and what its dashboard must contain."""

    message: str
    views: tuple[str, ...] = ()  # view types that must appear (kpi, line, bar, ...)
    tables: tuple[str, ...] = ()  # tables some query reads (last name part)
    fields: tuple[str, ...] = ()  # result fields some view shows
    sql: tuple[str, ...] = ()  # fragments some query contains
    params: dict[str, Any] = field(default_factory=dict)  # parameter name -> default
    exact_views: bool = False  # views must be exactly ``views`` (as a multiset)
    top_n: int | None = None

    def __str__(self) -> str:
        return self.message


def fields_of(dashboard: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for v in dashboard["views"]:
        for key in ("x", "y", "color", "theta", "value", "size"):
            if isinstance(v.get(key), dict):
                out.add(v[key]["field"])
        out.update(c["field"] for c in v.get("columns") or [])
    return out


def check_dashboard(env: Any, slug: str, case: Case) -> dict[str, Any]:
    """Assert ``case`` holds for the saved dashboard ``slug`` and that every view has rows."""
    dashboard, _text, _version = env.dashboard(slug)
    types = [v["type"] for v in dashboard["views"]]
    assert 1 <= len(types) <= 6, types
    for kind in case.views:
        assert kind in types, f"{case.message!r}: no {kind} view in {types}"
    if case.exact_views:
        assert sorted(types) == sorted(case.views), types
    sql = "\n".join(q["sql"] for q in dashboard["queries"].values())
    assert not re.search(r"SELECT\s+\*", sql, re.IGNORECASE), sql
    for table in case.tables:
        assert f".{table}`" in sql or f".{table} " in sql, f"{case.message!r}: {table} not read:\n{sql}"
    shown = fields_of(dashboard)
    for name in case.fields:
        assert name in shown, f"{case.message!r}: field {name} not in {shown}"
    for fragment in case.sql:
        assert fragment in sql, f"{case.message!r}: {fragment!r} not in:\n{sql}"
    params = {p["name"]: p["default"] for p in dashboard.get("parameters") or []}
    for name, default in case.params.items():
        assert params.get(name) == default, f"{case.message!r}: parameter {name}={params.get(name)!r}"
    if case.top_n is not None:
        assert case.top_n in [v.get("top_n") for v in dashboard["views"]], dashboard["views"]
    assert dashboard.get("theme") == "monotone"
    data = env.data(slug)
    for view in data["views"]:
        assert view["status"] == "ok", view
        assert view["row_count"] > 0, f"{case.message!r}: view {view['view_id']} has no rows"
    return dashboard
