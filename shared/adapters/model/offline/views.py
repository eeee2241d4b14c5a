"""The designer's chart and KPI views: a trend over a time grain, a category chart, their encodings."""

from __future__ import annotations

from typing import Any

from shared.adapters.model.offline.catalog_match import Dimension, Measure

ADDITIVE = ("sum", "count_rows")  # measures whose totals row is the sum of the rows


def value_encoding(m: Measure) -> dict[str, Any]:
    enc: dict[str, Any] = {"field": m.alias, "format": m.format}
    if m.format == "currency":
        enc["currency"] = "USD"
    return enc


def y_encoding(m: Measure) -> dict[str, Any]:
    enc: dict[str, Any] = {"field": m.alias, "type": "quantitative", "format": m.format, "title": m.label}
    return enc


def time_view(
    query: str, grain: str, m: Measure, kind: str, series: Dimension | None = None, grouped: bool = False
) -> dict[str, Any]:
    by = f" and {series.label.lower()}" if series else ""
    view: dict[str, Any] = {"id": f"{m.alias}_by_{grain}", "type": kind, "title": f"{m.label} by {grain}{by}",
                            "query": query}  # fmt: skip
    if kind == "table":
        view["columns"] = [{"field": grain, "format": "date", "title": grain.capitalize()}, y_encoding(m)]
        if series is not None:
            view["columns"].insert(1, {"field": series.alias, "title": series.label})
        view["sort"] = {"field": grain, "order": "desc"}
        if m.kind in ADDITIVE:
            view["totals"] = True
        return view
    view["x"] = {"field": grain, "type": "temporal", "format": "date", "title": grain.capitalize()}
    view["y"] = y_encoding(m)
    if series is not None:
        view["color"] = {"field": series.alias, "type": "nominal", "title": series.label}
        if (
            grouped and kind == "bar"
        ):  # "grouped bars", "side by side": each period's series next to each other
            view["color"]["stack"] = "grouped"
    return view


def category_view(
    query: str, d: Dimension, measures: list[Measure], kind: str, top_n: int, order: str = "desc"
) -> dict[str, Any]:
    m = measures[0]
    view: dict[str, Any] = {
        "id": f"{m.alias}_by_{d.alias}",
        "type": kind,
        "title": f"{m.label} by {d.label.lower()}",
        "query": query,
    }
    if kind == "pie":
        view["theta"] = y_encoding(m)
        view["color"] = {"field": d.alias, "type": "nominal", "title": d.label}
    elif kind == "table":
        view["columns"] = [{"field": d.alias, "title": d.label}] + [
            {"field": x.alias, "format": x.format, "title": x.label} for x in measures
        ]
        view["sort"] = {"field": m.alias, "order": order}
        if all(x.kind in ADDITIVE for x in measures):
            view["totals"] = True  # sums and counts add up; averages and distinct counts do not
    elif kind == "kpi":
        view["value"] = value_encoding(m)
        return view
    else:
        view["type"] = "bar"
        view["x"] = {"field": d.alias, "type": "nominal", "title": d.label, "sort": order}
        view["y"] = y_encoding(m)
        view["sort"] = {"field": m.alias, "order": order}
    view["top_n"] = top_n
    return view
