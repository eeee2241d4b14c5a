"""Derived measures: a ratio of two aggregates, the rate of a value, a share of the total.

Read from the words of a request, whatever the schema:

* **per entity** — "average order value", "AOV", "average revenue per customer": the money measure
  summed over the rows of a table that holds the entity's key, divided by the distinct keys
  (``SUM(oi.sale_price) / NULLIF(COUNT(DISTINCT oi.order_id), 0)``); on the entity's own table it is
  a plain average.
* **rate of a value** — "return rate", "cancellation rate", "share of orders that were cancelled":
  the share of rows whose categorical column holds the value the word names (``Returned`` for
  "return", found among the column's values), else of rows where a column named by the word is set
  (``returned_at IS NOT NULL``).
* **share of total** — "percentage of revenue by category": each group's measure over the total.

Each resolves to a :class:`Measure` of kind ``derived`` whose ``expr`` template reads one table
(``{t}`` is that table's alias in the query), so the query builder needs no new joins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from shared.adapters.model.offline.catalog_match import (
    NOT_DIMENSIONS,
    PEOPLE,
    Catalog,
    Col,
    Measure,
    TableSchema,
    words_of,
)
from shared.adapters.model.offline.conversation import Values
from shared.adapters.model.offline.intent import GRAINS, STOP, MeasureAsk, normalize, singular
from shared.adapters.model.offline.sql_build import string_literal

SAMPLE_CAP = 10  # a scan keeps at most this many sample values: a full list may be cut short
VALUE_WORDS = ("value", "size", "amount", "total", "revenue", "spend", "worth", "ticket", "sales", "basket")
RATE_SKIP = frozenset(["growth", "interest", "exchange", "tax", "hourly", "daily", "heart", "success"])
RATE_FALLBACK = {"conversion": "convert", "churn": "churn", "cancellation": "cancel", "refund": "refund"}
_RATIO = re.compile(r"\b(?:average|avg|mean)\s+([a-z]+(?:\s[a-z]+)?)\s+(?:per|for each|by each)\s+([a-z]+)\b")
_ENTITY_VALUE = re.compile(r"\b(?:average|avg|mean)\s+([a-z]+)\s+(" + "|".join(VALUE_WORDS) + r")\b")
_RATE = re.compile(r"\b([a-z]+)\s+rates?\b")
_SHARE_OF_VALUE = re.compile(
    r"\b(?:share|percentage|percent|proportion|fraction|ratio)\s+of\s+(?:the\s+|all\s+)?([a-z]+)\s+"
    r"(?:that\s+(?:are|were|got|have\s+been|was)\s+|being\s+|which\s+(?:are|were)\s+)?([a-z]+ed)\b"
)
_SHARE_OF_TOTAL = re.compile(
    r"\b(?:share|percentage|percent|proportion|%)\s+of\s+(?:the\s+)?(?:total\s+)?([a-z]+(?:\s[a-z]+)?)\s+"
    r"(?:by|per|for each|across)\b|\bshare of (?:the )?total\b|\bpercent(?:age)? of (?:the )?total\b"
)


@dataclass(frozen=True)
class DerivedAsk:
    """A derived measure in the user's words."""

    kind: str  # per_entity | rate | share
    phrase: str  # the request words it covers ("average order value")
    entity: str = ""  # per_entity: the counted entity ("order")
    numerator: str = "revenue"  # per_entity: the summed measure's words; share: the measure
    word: str = ""  # rate: the value word ("return")


def derived_asks(text: str) -> list[DerivedAsk]:
    """The derived measures a request names, left to right."""
    t = normalize(text)
    found: list[tuple[int, DerivedAsk]] = []
    if m := re.search(r"\baovs?\b", t):
        found.append((m.start(), DerivedAsk("per_entity", m.group(0), "order")))
    for m in _RATIO.finditer(t):
        measure, entity = m.group(1), m.group(2)
        if entity in GRAINS or entity in STOP:
            continue
        found.append((m.start(), DerivedAsk("per_entity", m.group(0), entity, measure)))
    for m in _ENTITY_VALUE.finditer(t):
        if any(m.start() < p + len(a.phrase) and p <= m.start() for p, a in found):
            continue
        found.append((m.start(), DerivedAsk("per_entity", m.group(0), m.group(1))))
    for m in _RATE.finditer(t):
        word = m.group(1)
        if word in STOP or word in RATE_SKIP or len(word) < 4:
            continue
        found.append((m.start(), DerivedAsk("rate", m.group(0), word=word)))
    for m in _SHARE_OF_VALUE.finditer(t):
        found.append((m.start(), DerivedAsk("rate", m.group(0), entity=m.group(1), word=m.group(2))))
    if not found and (m := _SHARE_OF_TOTAL.search(t)):
        found.append((m.start(), DerivedAsk("share", m.group(0), numerator=m.group(1) or "")))
    return [a for _, a in sorted(found, key=lambda x: x[0])]


def applies(ask: DerivedAsk, catalog: Catalog) -> bool:
    """Whether ``ask`` is derived on this catalog: no column is named by its words, and (per entity)
    the entity is a table or a key column."""
    columns = [[singular(w) for w in words_of(c.name)] for t in catalog.tables.values() for c in t.columns]
    if ask.kind == "rate":
        return [singular(ask.word), "rate"] not in columns and [ask.word, "rate"] not in columns
    if ask.kind != "per_entity":
        return True
    named = [singular(w) for w in ask.phrase.split()[1:]]
    if ask.phrase != "aov" and any(c[-len(named) :] == named for c in columns if named):
        return False  # "average sale price" names a column: a plain average
    entity = singular(ask.entity)
    for t in catalog.by_entity(entity):  # "average invoice amount": invoices.amount_cents, averaged
        own = [w for w in named if w not in t.entity.split("_")]
        if own and any(
            [singular(w) for w in words_of(c.name) if w != "cents"] == own for c in t.columns if c.numeric
        ):
            return False
    if ask.numerator != "revenue" and [singular(w) for w in ask.numerator.split()] in columns:
        return False  # "average salary per department": the average of a column, grouped
    return bool(catalog.by_entity(entity)) or [entity, "id"] in columns


def stem(word: str) -> str:
    """The start a value of the word begins with: returned/return/returns → return, cancellation → cancel."""
    w = RATE_FALLBACK.get(word, word)
    for suffix in ("ation", "ition", "ing", "ed", "es", "s", "al"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            break
    if w.endswith("ll"):  # cancell(ed) → cancel
        w = w[:-1]
    return w


def rate_lookups(asks: list[DerivedAsk], catalog: Catalog) -> list[tuple[str, str, str]]:
    """(search, table, column) value searches that find the values rate words name."""
    out = []
    for a in asks:
        if a.kind != "rate":
            continue
        s = stem(a.word)
        if any(_samples(c, s) for t in catalog.tables.values() for c in t.columns):
            continue  # the catalog's sample values already hold the value
        for t in catalog.tables.values():
            for c in t.columns:
                textual = c.type.upper() == "STRING" and not NOT_DIMENSIONS.search(c.name.lower())
                if textual and len(c.sample_values) in (0, SAMPLE_CAP):  # a short list is every value
                    out.append((s, t.name, c.name))
    return out


def _samples(col: Col, s: str) -> list[str]:
    return [v for v in col.sample_values if str(v).lower().startswith(s)]


def _value_hits(s: str, catalog: Catalog, values: Values) -> list[tuple[str, str, str, int]]:
    """(table, column, value, rows) whose value begins with the stem ``s``."""
    hits = []
    for (word, table, column), found in values.items():
        if word != s:
            continue
        for v in found:
            text = str(v.value)
            if text.lower().startswith(s):
                hits.append((table, column, text, v.count))
    for t in catalog.tables.values():
        for c in t.columns:
            for text in _samples(c, s):
                if not any(h[:3] == (t.name, c.name, text) for h in hits):
                    hits.append((t.name, c.name, text, 0))
    return hits


def resolve_derived(
    ask: DerivedAsk,
    catalog: Catalog,
    values: Values | None,
) -> list[Measure]:
    """Candidate measures for ``ask``, best first (empty when the catalog holds nothing that fits)."""
    if ask.kind == "per_entity":
        return _per_entity(ask, catalog)
    if ask.kind == "rate":
        return _rate(ask, catalog, values or {})
    return []


def _fact(t: TableSchema) -> float:
    return (1.0 if t.time_column else 0.0) + (min(t.row_count or 0, 10**9) ** 0.5 / 10**5)


def _per_entity(ask: DerivedAsk, catalog: Catalog) -> list[Measure]:
    entity = singular(ask.entity)
    targets = catalog.by_entity(entity)
    key_names = [f"{entity}_id"] + ([f"{x.entity}_id" for x in targets] if targets else [])
    if entity in {singular(p) for p in PEOPLE}:
        key_names.append("user_id")
    numerators = catalog.measures(MeasureAsk(ask.numerator))
    label = "Average order value" if ask.phrase.startswith("aov") else ask.phrase.capitalize()
    alias = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    out: list[Measure] = []
    seen: set[str] = set()
    for m in numerators:
        if m.table in seen or m.kind not in ("sum", "count_rows", "count_distinct"):
            continue
        t = catalog.table(m.table)
        num = _aggregate(m)
        if targets and t.name in {x.name for x in targets} and m.kind == "sum":
            expr, why = f"AVG({{t}}.{m.column})", f"{m.label.lower()} averaged over {t.short}"
        else:
            key = next((t.col(k) for k in key_names if t.col(k) is not None), None)
            if key is None:
                continue
            expr = f"{num} / NULLIF(COUNT(DISTINCT {{t}}.{key.name}), 0)"
            why = f"{m.label.lower()} / distinct {key.name}"
        if m.scale != 1:
            expr = f"({expr}) / {m.scale}"
        seen.add(m.table)
        out.append(
            Measure(t.name, "derived", m.column, alias, label, m.format, 1, m.score, expr=expr, why=why)
        )
    return out


def _aggregate(m: Measure) -> str:
    if m.kind == "count_rows":
        return "COUNT(*)"
    if m.kind == "count_distinct":
        return f"COUNT(DISTINCT {{t}}.{m.column})"
    return f"SUM({{t}}.{m.column})"


def _rate(ask: DerivedAsk, catalog: Catalog, values: Values) -> list[Measure]:
    s = stem(ask.word)
    label = (
        f"{ask.word.capitalize()} rate" if ask.phrase.endswith(("rate", "rates")) else ask.phrase.capitalize()
    )
    alias = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    entity = singular(ask.entity) if ask.entity else ""
    out: list[Measure] = []
    best: dict[tuple[str, str], tuple[str, int]] = {}
    for table, column, text, rows in _value_hits(s, catalog, values):
        if (table, column) not in best or rows > best[(table, column)][1]:
            best[(table, column)] = (text, rows)
    for (table, column), (text, _rows) in best.items():
        t = catalog.table(table)
        score = 9 + _fact(t) + (2 if entity and t.entity.endswith(entity) else 0)
        expr = f"AVG(CASE WHEN {{t}}.{column} = {string_literal(text)} THEN 1 ELSE 0 END)"
        why = f"share of {t.short} rows with {column} = {text}"
        out.append(Measure(table, "derived", column, alias, label, "percent", 1, score, expr=expr, why=why))
    if not out:  # a column the word names: returned_at, is_churned, converted
        for t in catalog.tables.values():
            for c in t.columns:
                cw = words_of(c.name)
                if not any(w.startswith(s) for w in cw) or (c.numeric and c.type.upper() != "BOOL"):
                    continue
                cond = (
                    f"{{t}}.{c.name}"
                    if c.type.upper() in ("BOOL", "BOOLEAN")
                    else f"{{t}}.{c.name} IS NOT NULL"
                )
                expr = f"AVG(CASE WHEN {cond} THEN 1 ELSE 0 END)"
                why = f"share of {t.short} rows where {c.name} is set"
                score = 7 + _fact(t) + (2 if entity and t.entity.endswith(entity) else 0)
                out.append(
                    Measure(t.name, "derived", c.name, alias, label, "percent", 1, score, expr=expr, why=why)
                )
    return sorted(out, key=lambda m: (-m.score, m.table))


def share_of_total(m: Measure) -> Measure:
    """``m`` as each group's share of the total over all groups (a window over the grouped rows)."""
    if m.kind == "derived" and m.expr:
        inner = m.expr
    elif m.kind in ("sum", "count_rows", "count_distinct"):
        inner = _aggregate(m)
    else:
        return m  # a share of an average means nothing: keep the measure
    expr = f"{inner} / NULLIF(SUM({inner}) OVER (), 0)"
    label = f"Share of {m.label.lower()}"
    why = f"{m.label.lower()} of each group / the total"
    return replace(
        m, kind="derived", expr=expr, alias=f"share_{m.alias}", label=label, format="percent", why=why
    )
