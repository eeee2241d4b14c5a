"""What the planner says: clarifying questions with concrete options, and the closing summary."""

from __future__ import annotations

import re

from shared.adapters.model.offline.catalog_match import PEOPLE_TABLES, Catalog
from shared.adapters.model.offline.conversation import Table
from shared.adapters.model.offline.intent import MeasureAsk
from shared.adapters.model.protocol import SavedDashboard
from shared.dashboards.model import Dashboard, DateRangeParameter, StringParameter, View


def clarifying_question(
    catalog: Catalog | None, tables: list[Table], unknown: str | None = None, known: bool = False
) -> str:
    """A short question offering 2-4 dashboards this catalog can actually answer.

    ``unknown``: the word of the request no table column answers (``known``: a column matches it,
    but the dashboard drafted did not split by it), so nothing answering another question is saved.
    """
    options = _options(catalog, tables)
    lines = "\n".join(f"- {o}" for o in options)
    if unknown and known:
        opening = f"I could not build this split by “{unknown}”, so I did not save a dashboard that is not. "
    elif unknown:
        opening = f"I could not find “{unknown}” in this warehouse's tables, so I did not guess. "
    else:
        opening = "I can build a dashboard once I know what to measure. "
    return (
        opening + "Which of these is closest?\n"
        f"{lines}\n"
        "Or name a measure (e.g. revenue, orders) and how to split it (by month, by category)."
    )


def _options(catalog: Catalog | None, tables: list[Table]) -> list[str]:
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
        for row in sorted(tables, key=lambda r: -(r.row_count or 0))[:3]:
            out.append(f"Number of {row.name.rsplit('.', 1)[-1].replace('_', ' ')} per month")
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


def dates(start: str, end: str) -> str:
    """A date range default in words: "the last 90 days", or "START to END"."""
    m = re.fullmatch(r"today-(\d+)([dwmy])", start)
    if m and end == "today":
        unit = {"d": "day", "w": "week", "m": "month", "y": "year"}[m.group(2)]
        return f"the last {m.group(1)} {unit}{'s' if m.group(1) != '1' else ''}"
    return f"{start} to {end}"


def _scope(dashboard: Dashboard) -> list[str]:
    out = []
    for p in dashboard.parameters:
        if isinstance(p, DateRangeParameter):
            out.append(dates(p.default.start, p.default.end))
        elif isinstance(p, StringParameter):
            out.append(f"{p.name.replace('_', ' ')} {p.default}")
    return out


def _kind(v: View) -> str:
    x = getattr(v, "x", None)
    return "bar_time" if v.type == "bar" and x is not None and x.type == "temporal" else v.type


def link(url: str) -> str:
    """The short markdown link a reply ends with (the web app renders it; the URL stays out of the text)."""
    return f"[Open dashboard]({url})" if url else ""


def summary(
    dashboard: Dashboard | None,
    tables: list[str],
    saved: SavedDashboard,
    notes: list[str] | None = None,
    left_out: list[str] | None = None,
) -> str:
    """What was built (why these views, where the data comes from) or what changed, and a link.

    A new dashboard gets the reasons and its sources once; a follow-up says only what changed.
    """
    from shared.dashboards.templates import render_defaults

    title = (dashboard.title if dashboard is not None else None) or saved.dashboard_slug
    title = render_defaults(dashboard, title) if dashboard is not None else title
    views = list(dashboard.views) if dashboard is not None else []
    url = saved.preview_url
    if notes is not None:  # a follow-up: what changed, then what of it was not done
        what = f"Updated “{title}” (version {saved.version}): {_listing(notes) or 'done'}."
        return " ".join(p for p in (what, *(left_out or []), link(url)) if p)
    kinds = [f"{v.type} “{render_defaults(dashboard, v.title or v.id)}”" for v in views]
    reasons = [REASONS[k] for k in dict.fromkeys(_kind(v) for v in views) if k in REASONS]
    scope = _scope(dashboard) if dashboard is not None else []
    source = _listing([f"`{t}`" for t in tables]) or "the catalog"
    why = _listing(reasons) or "each view fits its data"
    why = why[0].upper() + why[1:]
    why += f"; the data comes from {source}" + (f" ({', '.join(scope)})" if scope else "") + "."
    what = f"I built “{title}” with {_listing(kinds)}."
    rest = " ".join(left_out or [])
    checked = "Every query passed a dry run under the byte cap" + (f": {link(url)}" if url else ".")
    return " ".join(p for p in (what, why, rest, checked) if p)


def unchanged(title: str, notes: list[str]) -> str:
    """A follow-up that was understood but could not apply: why, and nothing saved."""
    text = _listing(notes) or "nothing to change"
    return f"I left “{title}” as it was: {text[0].lower() + text[1:]}."


def existing_offer(title: str, slug: str, version: int, url: str | None = None) -> str:
    """The same request again: offer the dashboard that already answers it instead of a numbered copy."""
    return (
        f"You already have “{title}” ({slug}, version {version}), which answers this request, so I did "
        "not save a copy. Say “update it” to rebuild it as a new version, or “make a copy” to keep both. "
        + link(url or "")
    ).strip()


def opened(title: str, version: int, url: str, unchanged: bool) -> str:
    """The answer to "open it": the dashboard offered, or, when it has changed since it was built
    from this request, that it may no longer answer it."""
    if unchanged:
        return f"Here is “{title}” (version {version}). {link(url)}".strip()
    return (
        f"“{title}” (version {version}) has changed since it was built from this request, so it may "
        "not show what you asked. Say “update it” to rebuild it from the request as a new version, "
        f"or “make a copy” to keep both. {link(url)}"
    ).strip()


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
