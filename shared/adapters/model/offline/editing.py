"""Follow-up edits of a saved dashboard: change a view's type, add a KPI or chart, filter, remove, theme.

Edits work on the YAML as saved (which a person may have changed), not on the planner's memory:
views are found by their type, time axis or title words, and filters are added to each query's
SQL through sqlglot.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shared.adapters.model.offline.catalog_match import Catalog, TableSchema
from shared.adapters.model.offline.design import design, match_filters, resolve
from shared.adapters.model.offline.edit_scope import existing_period, order_edit, retitle
from shared.adapters.model.offline.intent import (
    STOP,
    VIEW_WORDS,
    Intent,
    Period,
    normalize,
    parse,
    parse_period,
    singular,
)
from shared.adapters.model.offline.layout import arrange
from shared.adapters.model.offline.sql_build import PERIOD_PARAM, QuerySpec, build_sql

TIME_WORDS = re.compile(
    r"\b(trend|over time|time series|timeline|line|monthly|weekly|daily|quarterly|yearly)\b"
)
CONVERT = re.compile(r"\b(make|turn|change|switch|convert|show|display|render)\b\s+(.*)")
REMOVE = re.compile(r"\b(remove|delete|drop|hide|get rid of)\b\s+(.*)")
ADD_KPI = re.compile(
    r"\badd\b(?:\s+(?:a|an|another|one more|the))?\s+kpis?\b\s*(?:for|of|with|showing|on)?\s*(.*)"
)
ADD_VIEW = re.compile(
    r"\b(?:add|also show|include)\b\s+(?:a |an |another )?(?:chart |view |graph |breakdown )?(?:of |for |showing |with )?(.*)"
)
THEME = re.compile(
    r"\b(dark|accent|monotone|grey|gray)\b.*\b(theme|mode|colou?rs?)\b|\b(theme|mode)\b.*\b(dark|accent|monotone)\b"
)
RENAME = re.compile(
    r"\b(?:rename|retitle|call)\b(?:\s+it|\s+the dashboard)?(?:\s+to)?\s+(.+)$", re.IGNORECASE
)
FILTER_ONLY = re.compile(r"\b(only|just|filter to|limit to|restrict to)\b")


@dataclass
class EditResult:
    dashboard: dict[str, Any]
    changed: bool = False
    notes: list[str] = field(default_factory=list)


# -- finding views ---------------------------------------------------------------------------


def _is_time_view(v: dict[str, Any]) -> bool:
    x = v.get("x")
    if isinstance(x, dict) and (x.get("type") == "temporal" or x.get("time_grain")):
        return True
    cols = v.get("columns") or []
    return bool(cols) and cols[0].get("format") == "date"


def find_views(phrase: str, views: list[dict[str, Any]]) -> list[int]:
    """Indexes of the views ``phrase`` points at ("the trend", "the table", "category chart")."""
    p = normalize(phrase)
    if TIME_WORDS.search(p):
        hits = [i for i, v in enumerate(views) if _is_time_view(v) and v["type"] != "kpi"]
        if hits:
            return hits
    for word, kind in VIEW_WORDS.items():
        if re.search(rf"\b{re.escape(word)}s?\b", p):
            hits = [i for i, v in enumerate(views) if v["type"] == kind]
            if hits:
                return hits
    words = {singular(w) for w in p.split() if w not in STOP and w not in ("chart", "graph", "view")}
    scored = []
    for i, v in enumerate(views):
        title = {singular(w) for w in normalize(f"{v.get('title', '')} {v['id'].replace('_', ' ')}").split()}
        overlap = len(words & title)
        if overlap:
            scored.append((-overlap, i))
    if scored:
        top = min(scored)[0]
        return [i for s, i in scored if s == top]
    if not words:
        main = [i for i, v in enumerate(views) if v["type"] != "kpi"]
        return main[:1]
    return []


# -- view conversion -------------------------------------------------------------------------


def _fields(v: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(category or time field, measure field) of a view, whatever its type."""
    kind = v["type"]
    if kind in ("line", "bar", "area", "scatter", "heatmap"):
        return v.get("x"), v.get("y")
    if kind == "pie":
        return v.get("color"), v.get("theta")
    if kind == "table":
        cols = v.get("columns") or []
        measure = next(
            (c for c in cols if c.get("format") in ("currency", "number", "integer", "percent")), None
        )
        dim = next((c for c in cols if c is not measure), None)
        return dim, measure
    if kind == "kpi":
        return None, v.get("value")
    return None, None


def convert_view(v: dict[str, Any], kind: str) -> tuple[dict[str, Any], str]:
    """``v`` as a view of type ``kind`` (same query and fields), and a note on what happened."""
    dim, measure = _fields(v)
    if dim is None or measure is None:
        return v, f"left “{v.get('title') or v['id']}” as a {v['type']} (it has no axis to redraw)"
    time = _is_time_view(v)
    if kind == "pie" and time:
        kind = "bar"
        note = "a pie cannot show a time axis, so I used a bar chart"
    else:
        note = (
            f"“{v.get('title') or v['id']}” is now a {kind} chart"
            if kind != "table"
            else f"“{v.get('title') or v['id']}” is now a table"
        )
    keep: dict[str, Any] = {k: v[k] for k in ("id", "title", "description", "query", "layout") if k in v}
    dim_f = {k: dim[k] for k in ("field", "title", "format", "time_grain") if k in dim}
    measure_f = {k: measure[k] for k in ("field", "title", "format", "currency", "aggregate") if k in measure}
    new: dict[str, Any] = {**keep, "type": kind}
    if kind in ("line", "area", "bar", "scatter"):
        new["x"] = {**dim_f, "type": "temporal" if time else "nominal"}
        new["y"] = {**measure_f, "type": "quantitative"}
        if not time:
            new["sort"] = {"field": measure["field"], "order": "desc"}
            new["top_n"] = v.get("top_n") or 10
    elif kind == "pie":
        new["theta"] = {**measure_f, "type": "quantitative"}
        new["color"] = {**{k: dim_f[k] for k in ("field", "title") if k in dim_f}, "type": "nominal"}
        new["top_n"] = min(v.get("top_n") or 6, 6)
    elif kind == "table":
        new["columns"] = [dim_f, measure_f]
        new["sort"] = (
            {"field": dim["field"], "order": "desc"} if time else {"field": measure["field"], "order": "desc"}
        )
        if v.get("top_n"):
            new["top_n"] = v["top_n"]
    elif kind == "kpi":
        new["value"] = {**measure_f, "aggregate": measure_f.get("aggregate", "sum")}
    return new, note


# -- SQL surgery -----------------------------------------------------------------------------


def _outer_select(tree: exp.Expr) -> exp.Select | None:
    return tree if isinstance(tree, exp.Select) else tree.find(exp.Select)


def _tables_of(select: exp.Select) -> dict[str, str]:
    """Fully qualified table name (lower-case) → alias, for the outer SELECT's FROM and JOINs."""
    out: dict[str, str] = {}
    sources = [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or [])]
    for src in sources:
        t = src.this if src is not None else None
        if isinstance(t, exp.Table):
            name = ".".join(p for p in (t.catalog, t.db, t.name) if p).lower()
            out[name] = t.alias_or_name
    return out


def base_table(sql: str) -> str | None:
    """The fully qualified table in the outer FROM of ``sql``."""
    try:
        select = _outer_select(sqlglot.parse_one(sql, read="bigquery"))
    except SqlglotError:
        return None
    tables = _tables_of(select) if select is not None else {}
    return next(iter(tables), None)


def add_condition(sql: str, catalog: Catalog, table: str, condition: str) -> str | None:
    """``sql`` with ``condition`` (``{a}`` = alias of ``table``) ANDed in, joining ``table`` if needed."""
    try:
        tree = sqlglot.parse_one(sql, read="bigquery")
    except SqlglotError:
        return None
    select = _outer_select(tree)
    if select is None:
        return None
    tables = _tables_of(select)
    known = {n.lower(): n for n in catalog.tables}
    alias = tables.get(table.lower())
    if alias is None:
        base = next(iter(tables), None)
        path = catalog.path(known.get(base or "", base or ""), table, max_hops=1) if base else None
        if not path:
            return None
        j = path[0]
        alias = "j_" + table.rsplit(".", 1)[-1].lower()
        select.join(
            f"`{j.to_table}` AS {alias}",
            on=f"{alias}.{j.to_column} = {tables[base]}.{j.from_column}",  # type: ignore[index]
            dialect="bigquery",
            copy=False,
        )
    select.where(condition.format(a=alias), append=True, dialect="bigquery", copy=False)
    return tree.sql(dialect="bigquery", pretty=True) + "\n"


# -- edits -----------------------------------------------------------------------------------


def _filter_words(message: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'\-]+", message)
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if low in STOP or low in VIEW_WORDS:
            continue
        prev = words[i - 1].lower() if i else ""
        if (w[0].isupper() and i > 0) or prev in ("only", "just", "in", "to", "for"):
            out.append(low)
    return out


def _is_value_filter(message: str) -> bool:
    t = normalize(message)
    return bool(FILTER_ONLY.search(t)) and parse_period(message) is None and not ADD_VIEW.search(t)


def edit_lookups(
    message: str, dashboard: dict[str, Any], catalog: Catalog, today: date | None = None
) -> list[tuple[str, str, str]]:
    """(word, table, column) value searches a value-filter edit ("only Germany") needs."""
    if not _is_value_filter(message):
        return []
    bases = {b for q in (dashboard.get("queries") or {}).values() if (b := base_table(q["sql"]))}
    known = {n.lower(): n for n in catalog.tables}
    columns: list[tuple[str, str]] = []
    for b in sorted(bases):
        if b in known:
            for tc in catalog.filter_columns(known[b]):
                if tc not in columns and len(catalog.path(known[b], tc[0], 1) or []) <= 1:
                    columns.append(tc)
    return [(w, t, c) for w in _filter_words(message) for t, c in columns]


def prune_queries(dashboard: dict[str, Any], drop: set[str]) -> dict[str, Any]:
    """Without the views of queries in ``drop``, queries no view uses and parameters no query uses."""
    out = copy.deepcopy(dashboard)
    out["views"] = arrange([v for v in out["views"] if v.get("query") not in drop])
    used = {v.get("query") for v in out["views"]}
    out["queries"] = {n: q for n, q in out["queries"].items() if n in used}
    _prune_parameters(out)
    return out


def _prune_parameters(d: dict[str, Any]) -> None:
    sql = " ".join(q["sql"] for q in d["queries"].values())
    params = [
        p for p in d.get("parameters") or []
        if re.search(rf"@{p['name']}(_start|_end)?\b", sql)
    ]  # fmt: skip
    if params:
        d["parameters"] = params
    else:
        d.pop("parameters", None)


def apply_edits(
    message: str,
    dashboard: dict[str, Any],
    catalog: Catalog,
    values: dict[tuple[str, str, str], list[dict[str, Any]]],
    today: date | None = None,
) -> EditResult:
    """The dashboard after the change ``message`` asks for (``changed`` False when none was understood)."""
    d = copy.deepcopy(dashboard)
    d.setdefault("views", [])
    d.setdefault("queries", {})
    result = EditResult(d)
    t = normalize(message)
    if order_edit(t, d, result.notes):
        result.changed = True
    elif (m := REMOVE.search(t)) and d["views"]:
        hits = find_views(m.group(2), d["views"])
        if hits and len(hits) < len(d["views"]):
            gone = [d["views"][i].get("title") or d["views"][i]["id"] for i in hits]
            d["views"] = [v for i, v in enumerate(d["views"]) if i not in hits]
            result.notes.append("removed " + ", ".join(f"“{g}”" for g in gone))
            result.changed = True
    elif (m := ADD_KPI.search(t)) or re.search(r"\badd\b.*\bas an? kpi\b", t):
        phrase = m.group(1) if m else re.sub(r"\bas an? kpi\b", "", t.split("add", 1)[1])
        result.changed = _add_kpi(d, phrase, catalog, result.notes, today)
    elif (m := CONVERT.search(t)) and _convert(d, m.group(2), result.notes):
        result.changed = True
    elif THEME.search(t):
        theme = next(w for w in ("dark", "accent", "monotone", "grey", "gray") if re.search(rf"\b{w}\b", t))
        d["theme"] = {"grey": "monotone", "gray": "monotone"}.get(theme, theme)
        result.notes.append(f"theme set to {d['theme']}")
        result.changed = True
    elif (m := RENAME.search(message.strip())) and re.search(r"\b(rename|retitle|call it|call the)\b", t):
        d["title"] = m.group(1).strip(" \"'“”.")[:120] or d.get("title", "Dashboard")
        result.notes.append(f"renamed to “{d['title']}”")
        result.changed = True
    elif (period := parse_period(message, today)) is not None:
        result.changed = _set_period(d, period, catalog, result.notes)
    elif _is_value_filter(message):
        result.changed = _add_value_filter(d, message, catalog, values, result.notes)
    elif (m := ADD_VIEW.search(t)) and m.group(1).strip():
        result.changed = _add_view(d, m.group(1), catalog, result.notes, today)
    if result.changed:
        d["views"] = arrange(d["views"])
        used = {v.get("query") for v in d["views"]}
        d["queries"] = {n: q for n, q in d["queries"].items() if n in used}
        _prune_parameters(d)
    return result


def _convert(d: dict[str, Any], rest: str, notes: list[str]) -> bool:
    spots = [
        (m.start(), VIEW_WORDS[m.group(1)])
        for m in re.finditer(r"\b(" + "|".join(map(re.escape, VIEW_WORDS)) + r")\b", rest)
    ]
    if not spots:
        return False
    start, kind = spots[-1]
    target = re.sub(r"\b(into|to|as|a|an|the|in|chart|graph)\b", " ", rest[:start]).strip()
    hits = find_views(target, [v for v in d["views"]]) if target else find_views("", d["views"])
    hits = [i for i in hits if d["views"][i]["type"] != kind]
    if not hits:
        return False
    for i in hits[:1]:
        d["views"][i], note = convert_view(d["views"][i], kind)
        notes.append(note)
    return True


def _set_period(d: dict[str, Any], period: Period, catalog: Catalog, notes: list[str]) -> bool:
    default = {"start": period.start, "end": period.end}
    for p in d.get("parameters") or []:
        if p.get("name") == PERIOD_PARAM and p.get("type") == "date_range":
            p["default"] = default
            notes.append(f"period set to {period.label}")
            retitle(d, period.label)
            return True
    known = {n.lower(): n for n in catalog.tables}
    changed = False
    for q in d["queries"].values():
        base = base_table(q["sql"])
        schema: TableSchema | None = catalog.tables.get(known.get(base or "", ""))
        if schema is None or schema.time_column is None:
            continue
        new = add_condition(
            q["sql"], catalog, schema.name,
            f"DATE({{a}}.{schema.time_column}) BETWEEN @{PERIOD_PARAM}_start AND @{PERIOD_PARAM}_end",
        )  # fmt: skip
        if new:
            q["sql"], changed = new, True
    if changed:
        d.setdefault("parameters", []).append(
            {"name": PERIOD_PARAM, "type": "date_range", "label": "Period", "default": default}
        )
        notes.append(f"every query now covers {period.label}")
        retitle(d, period.label)
    return changed


def _add_value_filter(
    d: dict[str, Any],
    message: str,
    catalog: Catalog,
    values: dict[tuple[str, str, str], list[dict[str, Any]]],
    notes: list[str],
) -> bool:
    words = _filter_words(message)
    best: tuple[int, str, str, str] | None = None
    for (word, table, column), found in values.items():
        if word not in words:
            continue
        for v in found:
            if str(v["value"]).lower() in (word, singular(word)):
                cand = (-int(v["count"]), table, column, str(v["value"]))
                if best is None or cand < best:
                    best = cand
    if best is None:
        return False
    _, table, column, value = best
    param = re.sub(r"[^a-z0-9_]", "_", column.lower())
    changed = False
    for q in d["queries"].values():
        new = add_condition(q["sql"], catalog, table, f"{{a}}.{column} = @{param}")
        if new:
            q["sql"], changed = new, True
    if changed:
        params = [p for p in d.get("parameters") or [] if p.get("name") != param]
        params.append(
            {
                "name": param,
                "type": "string",
                "label": column.replace("_", " ").capitalize(),
                "default": value,
            }
        )
        d["parameters"] = params
        notes.append(f"filtered to {column.replace('_', ' ')} = {value}")
        title, template = str(d.get("title") or "Dashboard"), f"{{{{ {param} }}}}"
        if template not in title:  # the title shows the filter's value as it is set ({{ param }})
            title = title.replace(f" — {value}", "")
            d["title"] = title[: 120 - len(template) - 3] + f" — {template}"
    return changed


def _used_tables(d: dict[str, Any]) -> set[str]:
    return {b for q in d["queries"].values() if (b := base_table(q["sql"]))}


def _add_kpi(d: dict[str, Any], phrase: str, catalog: Catalog, notes: list[str], today: date | None) -> bool:
    intent = parse(phrase or "", today)
    if not intent.measures:
        return False
    used = _used_tables(d)
    for ask in intent.measures:
        options = catalog.measures(ask)
        if not options:
            continue
        options.sort(key=lambda m: (-round(m.score), m.table.lower() not in used))
        m = options[0]
        table = catalog.table(m.table)
        period = existing_period(d) is not None and table.time_column is not None
        name = f"kpi_{m.alias}"
        n = 2
        while name in d["queries"]:
            name, n = f"kpi_{m.alias}_{n}", n + 1
        spec = QuerySpec(name, m.table, (m,), period=period)
        d["queries"][name] = {"description": f"{m.label.lower()} in total", "sql": build_sql(spec, catalog)}
        value: dict[str, Any] = {"field": m.alias, "format": m.format}
        if m.format == "currency":
            value["currency"] = "USD"
        title = f"Total {m.label.lower()}" if m.kind == "count_rows" else m.label
        view_id = name if name not in {v["id"] for v in d["views"]} else name + "_view"
        d["views"].insert(0, {"id": view_id, "type": "kpi", "title": title, "query": name, "value": value})
        notes.append(f"added a KPI “{title}”")
        return True
    return False


def _add_view(d: dict[str, Any], phrase: str, catalog: Catalog, notes: list[str], today: date | None) -> bool:
    intent: Intent = parse(phrase, today)
    period = existing_period(d)
    if period is not None and intent.period is None:
        intent.period = period
    res = resolve(intent, catalog)
    if res is None or not (res.dims or res.grain):
        return False
    draft = design(intent, res, catalog, match_filters(intent, res, catalog, {}))
    new_views = [v for v in draft.dashboard["views"] if v["type"] != "kpi"]
    ids = {v["id"] for v in d["views"]}
    for v in new_views:
        qname = v["query"]
        target = qname
        n = 2
        while (
            target in d["queries"] and d["queries"][target]["sql"] != draft.dashboard["queries"][qname]["sql"]
        ):
            target, n = f"{qname}_{n}", n + 1
        d["queries"][target] = draft.dashboard["queries"][qname]
        view = {k: val for k, val in v.items() if k != "layout"} | {"query": target}
        while view["id"] in ids:
            view["id"] += "_2"
        ids.add(view["id"])
        d["views"].append(view)
        notes.append(f"added “{view.get('title')}”")
    for p in draft.dashboard.get("parameters") or []:
        if p["name"] not in {x["name"] for x in d.get("parameters") or []}:
            d.setdefault("parameters", []).append(p)
    return bool(new_views)
