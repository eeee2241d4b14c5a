"""Follow-up edits of views: find them by words, redraw one as another type, add or remove views.

Views are read as the typed model (:class:`~shared.dashboards.model.View`) and written back
into the round-trip document (:class:`~shared.adapters.model.offline.edit_doc.EditDoc`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import ValidationError as PydanticError

from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.design import design, match_filters, resolve
from shared.adapters.model.offline.edit_doc import EditDoc
from shared.adapters.model.offline.edit_scope import existing_period
from shared.adapters.model.offline.edit_sql import base_table, is_aggregated
from shared.adapters.model.offline.intent import STOP, VIEW_WORDS, Intent, normalize, parse, singular
from shared.adapters.model.offline.sql_build import QuerySpec, build_sql
from shared.dashboards.model import (
    Dashboard,
    FieldEncoding,
    HeatmapView,
    KpiView,
    PieView,
    TableView,
    TextView,
    View,
)

TIME_WORDS = re.compile(
    r"\b(trend|over time|time series|timeline|line|monthly|weekly|daily|quarterly|yearly)\b"
)
NUMERIC_FORMATS = ("currency", "number", "integer", "percent")
XY_TYPES = ("line", "area", "bar", "scatter")


def is_time_view(v: View) -> bool:
    x = getattr(v, "x", None)
    if isinstance(x, FieldEncoding) and (x.type == "temporal" or x.time_grain is not None):
        return True
    return isinstance(v, TableView) and bool(v.columns) and v.columns[0].format == "date"


def title_of(v: View) -> str:
    return v.title or v.id


def find_views(phrase: str, views: list[View]) -> list[int]:
    """Indexes of the views ``phrase`` points at ("the trend", "the table", "category chart")."""
    p = normalize(phrase)
    if TIME_WORDS.search(p):
        hits = [i for i, v in enumerate(views) if is_time_view(v) and not isinstance(v, KpiView)]
        if hits:
            return hits
    for word, kind in VIEW_WORDS.items():
        if re.search(rf"\b{re.escape(word)}s?\b", p):
            hits = [i for i, v in enumerate(views) if v.type == kind]
            if hits:
                return hits
    words = {singular(w) for w in p.split() if w not in STOP and w not in ("chart", "graph", "view")}
    scored = []
    for i, v in enumerate(views):
        title = {singular(w) for w in normalize(f"{v.title} {v.id.replace('_', ' ')}").split()}
        overlap = len(words & title)
        if overlap:
            scored.append((-overlap, i))
    if scored:
        top = min(scored)[0]
        return [i for s, i in scored if s == top]
    if not words:
        main = [i for i, v in enumerate(views) if not isinstance(v, KpiView | TextView)]
        return main[:1]
    return []


def view_fields(v: View) -> tuple[FieldEncoding | None, FieldEncoding | None]:
    """(category or time field, measure field) of a view, whatever its type."""
    if isinstance(v, PieView):
        return v.color, v.theta
    if isinstance(v, TableView):
        measure = next((c for c in v.columns if c.format in NUMERIC_FORMATS), None)
        return next((c for c in v.columns if c is not measure), None), measure
    if isinstance(v, KpiView):
        return None, v.value
    if isinstance(v, HeatmapView | TextView):
        return None, None
    return getattr(v, "x", None), getattr(v, "y", None)


def _enc(e: FieldEncoding, keys: tuple[str, ...]) -> dict[str, Any]:
    return e.model_dump(include=set(keys), exclude_none=True)


def convert_view(v: View, kind: str, sql: str) -> tuple[dict[str, Any] | None, str]:
    """``v`` as a view of type ``kind`` (same query and fields), and a note on what happened.

    None (and a note saying why) when the view has no axis to redraw.
    """
    dim, measure = view_fields(v)
    if dim is None or measure is None:
        return None, f"left “{title_of(v)}” as a {v.type} (it has no axis to redraw as a {kind})"
    time = is_time_view(v)
    name = title_of(v)
    if kind == "pie" and time:
        kind, note = "bar", f"a pie cannot show a time axis, so “{name}” is now a bar chart instead"
    elif kind == "table":
        note = f"“{name}” is now a table"
    else:
        note = f"“{name}” is now a {kind} chart"
    if kind in ("line", "area") and not time:
        note += f" (its axis is {(dim.title or dim.field).lower()}, not time, so the line joins categories)"
    if kind in ("bar", "pie") and not is_aggregated(sql):
        note += (
            " (the query is not aggregated, so each " + ("bar" if kind == "bar" else "slice") + " is one row)"
        )
    new: dict[str, Any] = {"id": v.id, "type": kind}
    if v.title:
        new["title"] = v.title
    if getattr(v, "description", None):
        new["description"] = v.description  # type: ignore[union-attr]
    new["query"] = v.query  # type: ignore[union-attr]
    dim_f = _enc(dim, ("field", "title", "format", "time_grain"))
    measure_f = _enc(measure, ("field", "title", "format", "currency", "aggregate"))
    top_n = getattr(v, "top_n", None)
    if kind in XY_TYPES:
        new["x"] = {
            **dim_f,
            "type": "temporal"
            if time
            else ("quantitative" if kind == "scatter" and dim.type == "quantitative" else "nominal"),
        }
        new["y"] = {**measure_f, "type": "quantitative"}
        if not time and kind != "scatter":
            new["sort"] = {"field": measure.field, "order": "desc"}
            new["top_n"] = top_n or 10
    elif kind == "pie":
        new["theta"] = {**measure_f, "type": "quantitative"}
        new["color"] = {**{k: dim_f[k] for k in ("field", "title") if k in dim_f}, "type": "nominal"}
        new["top_n"] = min(top_n or 6, 6)
    elif kind == "table":
        new["columns"] = [dim_f, measure_f]
        new["sort"] = {"field": dim.field if time else measure.field, "order": "desc"}
        if top_n:
            new["top_n"] = top_n
    elif kind == "kpi":
        new["value"] = {**measure_f, "aggregate": measure_f.get("aggregate", "sum")}
    else:
        return None, f"I cannot redraw “{name}” as a {kind}"
    new["layout"] = v.layout.model_dump()
    return new, note


def convert(doc: EditDoc, rest: str, notes: list[str]) -> bool | None:
    """ "make the trend a bar chart": True changed, False not possible (notes say why), None not asked."""
    spots = [
        (m.start(), VIEW_WORDS[m.group(1)])
        for m in re.finditer(r"\b(" + "|".join(map(re.escape, VIEW_WORDS)) + r")\b", rest)
    ]
    if not spots:
        return None
    start, kind = spots[-1]
    target = re.sub(r"\b(into|to|as|a|an|the|in|chart|graph|it|them)\b", " ", rest[:start]).strip()
    views = doc.model.views
    hits = find_views(target, views) if target else find_views("", views)
    already = [i for i in hits if views[i].type == kind]
    hits = [i for i in hits if views[i].type != kind]
    if not hits:
        if already:
            notes.append(f"“{title_of(views[already[0]])}” is already a {kind} chart")
            return False
        return None
    v = views[hits[0]]
    new, note = convert_view(v, kind, doc.model.queries[v.query].sql if hasattr(v, "query") else "")
    notes.append(note)
    if new is None:
        return False
    doc.views[hits[0]] = new
    return True


def remove_views(doc: EditDoc, phrase: str, notes: list[str]) -> bool | None:
    views = doc.model.views
    hits = find_views(phrase, views)
    if not hits:
        return None
    if len(hits) >= len(views):
        notes.append(
            f"“{title_of(views[hits[0]])}” is the only view, and a dashboard needs one, so it stays"
            if len(views) == 1
            else "that would remove every view, and a dashboard needs one, so nothing was removed"
        )
        return False
    gone = [title_of(views[i]) for i in hits]
    for i in sorted(hits, reverse=True):
        del doc.views[i]
    notes.append("removed " + ", ".join(f"“{g}”" for g in gone))
    return True


def _used_tables(doc: EditDoc) -> set[str]:
    return {b for q in doc.model.queries.values() if (b := base_table(q.sql))}


def add_kpi(doc: EditDoc, phrase: str, catalog: Catalog, notes: list[str], today: date | None) -> bool:
    intent = parse(phrase or "", today)
    if not intent.measures:
        notes.append(f"I found no measure in “{phrase.strip()}” to show as a KPI" if phrase.strip()
                     else "name the number the KPI should show, e.g. “add a KPI for total orders”")  # fmt: skip
        return False
    used = _used_tables(doc)
    for ask in intent.measures:
        options = catalog.measures(ask)
        if not options:
            continue
        options.sort(key=lambda m: (-round(m.score), m.table.lower() not in used))
        m = options[0]
        table = catalog.table(m.table)
        period = existing_period(doc) is not None and table.time_column is not None
        name = f"kpi_{m.alias}"
        n = 2
        while name in doc.model.queries:
            name, n = f"kpi_{m.alias}_{n}", n + 1
        spec = QuerySpec(name, m.table, (m,), period=period)
        doc.queries[name] = {"description": f"{m.label.lower()} in total", "sql": build_sql(spec, catalog)}
        value: dict[str, Any] = {"field": m.alias, "format": m.format}
        if m.format == "currency":
            value["currency"] = "USD"
        title = f"Total {m.label.lower()}" if m.kind == "count_rows" else m.label
        view_id = name if doc.model.view(name) is None else name + "_view"
        doc.views.insert(0, {"id": view_id, "type": "kpi", "title": title, "query": name, "value": value,
                             "layout": {"x": 0, "y": 0, "w": 12, "h": 2}})  # fmt: skip
        notes.append(f"added a KPI “{title}”")
        return True
    notes.append(f"I found no measure “{intent.measures[0].phrase}” in this warehouse, so no KPI was added")
    return False


def add_view(
    doc: EditDoc, phrase: str, catalog: Catalog, notes: list[str], today: date | None
) -> bool | None:
    intent: Intent = parse(phrase, today)
    period = existing_period(doc)
    if period is not None and intent.period is None:
        intent.period = period
    res = resolve(intent, catalog)
    if res is None or not (res.dims or res.grain):
        return None
    draft = design(intent, res, catalog, match_filters(intent, res, catalog, {}))
    try:
        drafted = Dashboard.model_validate(draft.dashboard)  # read typed; the plain parts are copied in
    except PydanticError:
        return None
    plain_views = dict(zip((v.id for v in drafted.views), draft.dashboard["views"], strict=True))
    plain_queries = draft.dashboard["queries"]
    new_views = [v for v in drafted.views if v.type != "kpi"]
    ids = {v.id for v in doc.model.views}
    for v in new_views:
        qname = str(getattr(v, "query", ""))
        target, n = qname, 2
        sql = drafted.queries[qname].sql
        while target in doc.model.queries and doc.model.queries[target].sql != sql:
            target, n = f"{qname}_{n}", n + 1
        doc.queries[target] = plain_queries[qname]
        view_id = v.id
        while view_id in ids:
            view_id += "_2"
        ids.add(view_id)
        doc.views.append(dict(plain_views[v.id]) | {"query": target, "id": view_id})
        notes.append(f"added “{v.title}”")
    known = {p.name for p in doc.model.parameters}
    plain_parameters = draft.dashboard.get("parameters") or []
    for typed_p, p in zip(drafted.parameters, plain_parameters, strict=True):
        if typed_p.name not in known:
            doc.data.setdefault("parameters", []).append(p)
    return bool(new_views) or None
