"""What the planner says: clarifying questions with concrete options, and the closing summary."""

from __future__ import annotations

import re
from typing import Any

from shared.adapters.model.offline.catalog_match import PEOPLE_TABLES, Catalog
from shared.adapters.model.offline.intent import MeasureAsk


def clarifying_question(
    catalog: Catalog | None, tables: list[dict[str, Any]], unknown: str | None = None
) -> str:
    """A short question offering 2-4 dashboards this catalog can actually answer."""
    options = _options(catalog, tables)
    lines = "\n".join(f"- {o}" for o in options)
    opening = (
        f"I could not find “{unknown}” in this warehouse's tables, so I did not guess. "
        if unknown
        else "I can build a dashboard once I know what to measure. "
    )
    return (
        opening + "Which of these is closest?\n"
        f"{lines}\n"
        "Or name a measure (e.g. revenue, orders) and how to split it (by month, by category)."
    )


def _options(catalog: Catalog | None, tables: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    if catalog is not None:
        revenue = catalog.measures(MeasureAsk("revenue"))
        if revenue:
            base = catalog.table(revenue[0].table)
            if base.time_column:
                out.append(f"Monthly revenue for the last 12 months (from {base.short})")
            dims = [
                d
                for phrase in ("category", "country", "plan", "industry", "status", "brand")
                for d in catalog.dimensions(phrase)[:1]
                if catalog.path(base.name, d.table) is not None
            ]
            if dims:
                out.append(f"Revenue by {dims[0].label.lower()} (top 10)")
        facts = sorted(
            (t for t in catalog.tables.values() if t.time_column),
            key=lambda t: -(t.row_count or 0),
        )
        for t in facts:
            if len(out) >= 3:
                break
            status = t.col("status")
            noun = t.short.replace("_", " ")
            if status is not None and not any(noun in o for o in out):
                out.append(f"Number of {noun} by status")
        people = [t for t in catalog.tables.values() if t.short.lower() in PEOPLE_TABLES]
        if people and len(out) < 4:
            p = people[0]
            dim = next(
                (c.name for c in p.columns if c.name.lower() in ("country", "industry", "traffic_source")),
                None,
            )
            out.append(f"New {p.short} per month" + (f" and by {dim.replace('_', ' ')}" if dim else ""))
    if len(out) < 2:
        for row in sorted(tables, key=lambda r: -(r.get("row_count") or 0))[:3]:
            out.append(f"Number of {row['name'].rsplit('.', 1)[-1].replace('_', ' ')} per month")
    return out[:4]


REASONS = {
    "kpi": "KPIs put the headline numbers on top",
    "line": "a line shows the trend over time",
    "area": "an area shows the volume over time",
    "bar": "bars compare categories side by side",
    "bar_time": "bars compare one period with the next",
    "pie": "a pie shows the share of a few parts",
    "table": "a table gives the exact values",
    "scatter": "a scatter relates two measures",
    "heatmap": "a heatmap crosses two categories",
}


def _listing(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _dates(start: str, end: str) -> str:
    m = re.fullmatch(r"today-(\d+)([dwmy])", start)
    if m and end == "today":
        unit = {"d": "day", "w": "week", "m": "month", "y": "year"}[m.group(2)]
        return f"the last {m.group(1)} {unit}{'s' if m.group(1) != '1' else ''}"
    return f"{start} to {end}"


def summary(
    dashboard: dict[str, Any], tables: list[str], saved: dict[str, Any], notes: list[str] | None = None
) -> str:
    """Two or three sentences: what was built (or changed), why these views, where to open it."""
    from shared.dashboards.templates import render_defaults

    title = render_defaults(dashboard, str(dashboard.get("title") or saved.get("dashboard_slug")))
    views = [v for v in dashboard.get("views") or [] if isinstance(v, dict)]
    kinds = [f"{v['type']} “{render_defaults(dashboard, str(v.get('title') or v['id']))}”" for v in views]
    kinds_used = dict.fromkeys(
        "bar_time" if v["type"] == "bar" and (v.get("x") or {}).get("type") == "temporal" else v["type"]
        for v in views
    )
    reasons = [REASONS[k] for k in kinds_used if k in REASONS]
    scope = []
    for p in dashboard.get("parameters") or []:
        if p.get("type") == "date_range":
            scope.append(_dates(p["default"]["start"], p["default"]["end"]))
        elif p.get("type") == "string":
            scope.append(f"{p['name'].replace('_', ' ')} {p['default']}")
    source = _listing([f"`{t}`" for t in tables]) or "the catalog"
    why = _listing(reasons) or "each view fits its data"
    why = why[0].upper() + why[1:]
    why += f"; the data comes from {source}" + (f" ({', '.join(scope)})" if scope else "") + "."
    url = saved.get("preview_url") or ""
    if notes is not None:
        what = f"I updated “{title}” to version {saved.get('version')}: {_listing(notes) or 'done'}."
    else:
        what = f"I built “{title}” with {_listing(kinds)}."
    return f"{what} {why} Every query passed a dry run under the byte cap; open it at {url}"


def chunks(text: str, size: int = 40) -> list[str]:
    """The text in word-aligned pieces, streamed as several deltas."""
    out: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) > size and current:
            out.append(current + " ")
            current = word
        else:
            current = candidate
    if current:
        out.append(current)
    return out
