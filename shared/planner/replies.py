"""What the planner says: clarifying questions with concrete options, and the closing summary."""

from __future__ import annotations

from typing import Any

from shared.planner.catalog_match import PEOPLE_TABLES, Catalog
from shared.planner.intent import MeasureAsk


def clarifying_question(catalog: Catalog | None, tables: list[dict[str, Any]]) -> str:
    """A short question offering 2-4 dashboards this catalog can actually answer."""
    options = _options(catalog, tables)
    lines = "\n".join(f"- {o}" for o in options)
    return (
        "I can build a dashboard once I know what to measure. Which of these is closest?\n"
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


def summary(title: str, parts: list[str], base: str, extra: list[str], preview_url: str, version: int) -> str:
    """Two or three sentences: what was built, from what, and why these views."""
    built = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else "views"
    first = f"I built “{title}” with {built}."
    second = (
        f"It reads {base}"
        + ("; " + "; ".join(extra) if extra else "")
        + ", and every query passed a dry run under the byte cap."
    )
    where = f"Open it at {preview_url} (version {version})." if preview_url else ""
    return " ".join(s for s in (first, second, where) if s)


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
