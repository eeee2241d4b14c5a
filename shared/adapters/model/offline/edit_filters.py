"""Follow-up filters: "only Germany", "add a filter for status Complete", "remove the country filter".

A value filter becomes a string parameter bound in every query that can reach the column (its
table, or one join away); values come from ``get_column_values``, never from the request's words
alone. Removing a filter drops the parameter and every condition that binds it.
"""

from __future__ import annotations

import re

from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.conversation import Values
from shared.adapters.model.offline.edit_doc import EditDoc
from shared.adapters.model.offline.edit_sql import add_condition, base_table, remove_conditions
from shared.adapters.model.offline.intent import STOP, VIEW_WORDS, normalize, parse_period, singular
from shared.adapters.model.offline.sql_build import PERIOD_PARAM
from shared.dashboards.model import StringParameter

FILTER_ONLY = re.compile(r"\b(only|just|filter to|filter on|filter by|limit to|restrict to|where)\b")
ADD_FILTER = re.compile(
    r"\b(add|apply|put|set)\b(?:\s+(?:a|an|the))?\s+filters?\b|\bfilter(?:ed)?\s+(?:it\s+)?(?:to|on|by|for)\b"
)
REMOVE_FILTER = re.compile(
    r"\b(?:remove|delete|drop|clear|reset|undo)\b(?:\s+(?:the|all|every|any))?\s*(?P<what>[a-z0-9_ ]*?)\s*\b(?:filters?|conditions?)\b"
    r"|\b(?:show|include)\s+(?:all|every)\s+(?P<every>[a-z_]+)"
    r"|\bno\s+(?:more\s+)?filters?\b"
)
FILLER = {
    "add",
    "apply",
    "put",
    "set",
    "filter",
    "filters",
    "filtered",
    "where",
    "equal",
    "equals",
    "is",
    "be",
}


def filter_words(message: str) -> list[str]:
    """Words of ``message`` that may be a value to filter on (capitalised, or after only/for/to/...)."""
    words = re.findall(r"[A-Za-z][A-Za-z'\-]+", message)
    out = []
    for i, w in enumerate(words):
        low = w.lower()
        if low in STOP or low in VIEW_WORDS or low in FILLER:
            continue
        prev = words[i - 1].lower() if i else ""
        if (w[0].isupper() and i > 0) or prev in (
            "only",
            "just",
            "in",
            "to",
            "for",
            "is",
            "equals",
            "by",
            "on",
        ):
            out.append(low)
    return out


def is_value_filter(message: str) -> bool:
    t = normalize(message)
    if parse_period(message) is not None or REMOVE_FILTER.search(t):
        return False
    return bool(FILTER_ONLY.search(t) or ADD_FILTER.search(t))


def edit_lookups(message: str, doc: EditDoc, catalog: Catalog) -> list[tuple[str, str, str]]:
    """(word, table, column) value searches a value-filter edit ("only Germany") needs."""
    if not is_value_filter(message):
        return []
    bases = {b for q in doc.model.queries.values() if (b := base_table(q.sql))}
    known = {n.lower(): n for n in catalog.tables}
    columns: list[tuple[str, str]] = []
    for b in sorted(bases):
        if b in known:
            for tc in catalog.filter_columns(known[b]):
                if tc not in columns and len(catalog.path(known[b], tc[0], 1) or []) <= 1:
                    columns.append(tc)
    return [(w, t, c) for w in filter_words(message) for t, c in columns]


def add_value_filter(doc: EditDoc, message: str, catalog: Catalog, values: Values, notes: list[str]) -> bool:
    words = filter_words(message)
    best: tuple[int, str, str, str] | None = None
    for (word, table, column), found in values.items():
        if word not in words:
            continue
        for v in found:
            if str(v.value).lower() in (word, singular(word)):
                cand = (-v.count, table, column, str(v.value))
                if best is None or cand < best:
                    best = cand
    if best is None:
        named = [w for w in words if w not in ("filter",)]
        notes.append(
            (f"I found no value “{named[0]}” in the columns this dashboard can filter" if named
             else "I could not tell which value to filter on")
            + ", so nothing was filtered"
        )  # fmt: skip
        return False
    _, table, column, value = best
    param = re.sub(r"[^a-z0-9_]", "_", column.lower())
    changed, skipped = False, []
    for name, q in doc.model.queries.items():
        new = add_condition(q.sql, catalog, table, f"{{a}}.{column} = @{param}")
        if new:
            doc.queries[name]["sql"], changed = new, True
        else:
            skipped.append(name)
    if not changed:
        notes.append(
            f"no query of this dashboard reaches {column.replace('_', ' ')}, so nothing was filtered"
        )
        return False
    params = [p for p in doc.data.get("parameters") or [] if p.get("name") != param]
    params.append(
        {"name": param, "type": "string", "label": column.replace("_", " ").capitalize(), "default": value}
    )
    doc.data["parameters"] = params
    notes.append(f"filtered to {column.replace('_', ' ')} = {value}")
    if skipped:
        notes.append(
            "the filter does not apply to " + ", ".join(f"“{s}”" for s in skipped)
            + f" (it cannot reach {column.replace('_', ' ')})"
        )  # fmt: skip
    title, template = doc.model.title or "Dashboard", f"{{{{ {param} }}}}"
    if template not in title:  # the title shows the filter's value as it is set ({{ param }})
        title = title.replace(f" — {value}", "")
        doc.data["title"] = title[: 120 - len(template) - 3] + f" — {template}"
    return True


def wants_filter_removed(t: str) -> bool:
    return bool(REMOVE_FILTER.search(t))


def remove_filter(doc: EditDoc, t: str, notes: list[str]) -> bool:
    """Drop the value filters ``t`` names ("the country filter"; all of them when none is named)."""
    m = REMOVE_FILTER.search(t)
    phrase = ((m.group("what") or m.group("every") or "") if m else "").strip()
    words = {singular(w) for w in phrase.split() if w not in STOP}
    filters = [p for p in doc.model.parameters if isinstance(p, StringParameter) and p.name != PERIOD_PARAM]
    named = [
        p for p in filters
        if words & {singular(w) for w in re.split(r"[^a-z0-9]+", f"{p.name} {p.label or ''}".lower()) if w}
    ]  # fmt: skip
    targets = named or (filters if not words or words <= {"value", "all"} else [])
    if not targets:
        shown = ", ".join(f"{p.name.replace('_', ' ')} = {p.default}" for p in filters)
        notes.append(
            f"there is no “{phrase}” filter to remove" + (f" (the filters are {shown})" if shown else "")
            if phrase else "the dashboard has no filter to remove"
        )  # fmt: skip
        return False
    gone = {p.name for p in targets}
    for name, q in doc.model.queries.items():
        new = remove_conditions(q.sql, gone)
        if new:
            doc.queries[name]["sql"] = new
    kept = [p for p in doc.data.get("parameters") or [] if p.get("name") not in gone]
    if kept:
        doc.data["parameters"] = kept
    else:
        doc.data.pop("parameters", None)
    title = doc.model.title
    for p in targets:
        title = title.replace(f" — {{{{ {p.name} }}}}", "").replace(f"{{{{ {p.name} }}}}", p.default)
        title = title.replace(f" — {p.default}", "")
    doc.data["title"] = title
    notes.append(
        "removed the filter " + ", ".join(f"{p.name.replace('_', ' ')} = {p.default}" for p in targets)
    )
    return True


def add_condition_filters(doc: EditDoc, message: str, catalog: Catalog, notes: list[str]) -> bool | None:
    """A comparison of the follow-up ("only users older than 40", "where age is above 30") ANDed into
    every query that can reach its column; None when the message holds no comparison the grammar
    reads on the dashboard's tables."""
    from shared.adapters.model.offline.where import request_conditions

    bases = [b for q in doc.model.queries.values() if (b := base_table(q.sql))]
    known = {n.lower(): n for n in catalog.tables}
    base = next((known[b.lower()] for b in bases if b.lower() in known), None)
    if base is None:
        return None
    # numbers, dates and nulls only: a text value is looked up first (its stored spelling), see add_value_filter
    found = [
        c for c in request_conditions(message, catalog, base) if not re.search(r"(?<!DATE )'", c.condition)
    ]
    if not found:
        return None
    applied = []
    for c in found:
        condition = c.condition.replace("{ref}", "{a}." + c.column)
        hits = []
        for name, q in doc.model.queries.items():
            new = add_condition(q.sql, catalog, c.table, condition)
            if new:
                doc.queries[name]["sql"] = new
                hits.append(name)
        if hits:
            applied.append(c.text)
            doc.refresh()
    if not applied:
        notes.append(
            "no query of this dashboard reaches "
            + ", ".join(c.column for c in found)
            + ", so nothing was filtered"
        )
        return False
    notes.append("kept only rows where " + " and ".join(applied))
    title = doc.model.title or "Dashboard"
    doc.data["title"] = (title[: 118 - len(", ".join(applied))] + " — " + ", ".join(applied))[:120]
    return True
