"""The team's knowledge file as the planner reads it: metric and synonym words before raw columns.

One narrow hook: :class:`~shared.adapters.model.offline.catalog_match.Catalog` takes an optional
:class:`KnowledgeTerms` and asks it first for the measures of a phrase, the dimensions of a phrase
and extra join paths. :meth:`KnowledgeTerms.rewrite` turns the words of a request that name a
metric ("AOV", "return rate") into one measure phrase, so a multi-word metric is not split into
unknown words. A metric's SQL is written with the table's short names; :func:`measure_sql` puts
the query's aliases in, and its filters (own and inherited) go into the query's WHERE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from shared.adapters.model.offline.intent import Intent, MeasureAsk, singular
from shared.knowledge.fragments import FragmentError, expand_metric, parse_fragment, qualified_columns
from shared.knowledge.model import Knowledge, Metric

if TYPE_CHECKING:
    from shared.adapters.model.offline.catalog_match import (
        Catalog,
        Col,
        Dimension,
        Join,
        Measure,
        TableSchema,
    )

DASHBOARD_FORMATS = ("number", "percent", "currency", "integer")
SCORE = 100.0  # a team's definition beats any column match


def words(text: str) -> tuple[str, ...]:
    return tuple(singular(w) for w in re.findall(r"[a-z0-9]+", text.lower()))


@dataclass(frozen=True)
class Hit:
    kind: str  # metric | dimension
    name: str  # metric name, or the dimension's table.column
    phrase: str  # the words the request used (singular)
    label: str  # the name or synonym as the file writes it
    first: int
    last: int


class KnowledgeTerms:
    """Lookups over one team's knowledge file (or none: every lookup finds nothing)."""

    def __init__(self, knowledge: Knowledge | None) -> None:
        self.knowledge = knowledge
        self.phrases: list[tuple[tuple[str, ...], str, str]] = []  # (words, kind, name)
        self.labels: dict[tuple[tuple[str, ...], str], str] = {}  # (words, name) -> as written
        for m in knowledge.metrics if knowledge else []:
            for text in (m.name.replace("_", " "), *m.synonyms):
                self.phrases.append((words(text), "metric", m.name))
                self.labels.setdefault((words(text), m.name), text)
        for d in knowledge.dimensions if knowledge else []:
            for label in (d.name or "", *d.synonyms):
                if label:
                    self.phrases.append((words(label), "dimension", d.column))
                    self.labels.setdefault((words(label), d.column), label)
        self.phrases.sort(key=lambda p: -len(p[0]))

    def __bool__(self) -> bool:
        return bool(self.phrases or (self.knowledge and self.knowledge.joins))

    # -- the request ------------------------------------------------------------------------

    def hits(self, text: str) -> list[Hit]:
        """Spans of the request naming a metric or a dimension, longest first, no overlaps."""
        toks = words(text)
        found: list[Hit] = []
        taken: set[int] = set()
        for phrase, kind, name in self.phrases:
            n = len(phrase)
            for i in range(len(toks) - n + 1):
                if toks[i : i + n] == phrase and not taken & set(range(i, i + n)):
                    label = self.labels.get((phrase, name), " ".join(phrase))
                    found.append(Hit(kind, name, " ".join(phrase), label, i, i + n))
                    taken |= set(range(i, i + n))
        return sorted(found, key=lambda h: h.first)

    def rewrite(self, intent: Intent) -> Intent:
        """``intent`` with the words naming a metric as one measure phrase (the metric's name words)."""
        hits = self.hits(intent.text)
        if not hits:
            return intent
        used = {w for h in hits for w in h.phrase.split()}
        metrics = [h for h in hits if h.kind == "metric"]
        by_metric = {w for h in metrics for w in h.phrase.split()}
        asks = [MeasureAsk(h.name.replace("_", " ")) for h in metrics]
        keep = [a for a in intent.measures if not set(words(a.phrase)) <= by_metric]
        dims = [d for d in intent.dimensions if d not in {h.phrase for h in metrics}]
        return replace(
            intent,
            measures=asks + keep,
            dimensions=dims,
            filter_words=[w for w in intent.filter_words if singular(w) not in used],
            words=[w for w in intent.words if singular(w) not in used],
        )

    # -- the catalog hook -------------------------------------------------------------------

    def measures(self, ask: MeasureAsk, catalog: Catalog) -> list[Measure]:
        """The team's measure for ``ask`` (a metric, or rows dated by a time dimension named so)."""
        phrase = words(ask.phrase)
        for p, kind, name in self.phrases:
            if p != phrase:
                continue
            if kind == "metric" and self.knowledge is not None:
                metric = self.knowledge.metric(name)
                m = metric and _metric_measure(self.knowledge, metric, catalog)
                if m:
                    return [m]
            if kind == "dimension":
                m = _dated_count(name, ask.phrase, catalog)
                if m:
                    return [m]
        return []

    def dimensions(self, phrase: str, catalog: Catalog) -> list[Dimension]:
        from shared.adapters.model.offline.catalog_match import Dimension, _ident

        wanted = words(phrase)
        out: list[Dimension] = []
        for p, kind, name in self.phrases:
            if kind != "dimension" or p != wanted:
                continue
            found = _column(name, catalog)
            if found is None or found[1].temporal:
                continue
            table, col = found
            friendly = (
                next((d.name for d in self.knowledge.dimensions if d.column == name and d.name), None)
                if self.knowledge
                else None
            )
            out.append(
                Dimension(table.name, col.name, _ident(col.name), (friendly or phrase).capitalize(), SCORE)
            )
        return out

    def joins(self, catalog: Catalog) -> list[Join]:
        from shared.adapters.model.offline.catalog_match import Join

        out: list[Join] = []
        for j in self.knowledge.joins if self.knowledge else []:
            frm, to = _column(j.from_, catalog), _column(j.to, catalog)
            if frm and to:
                out.append(Join(frm[0].name, frm[1].name, to[0].name, to[1].name))
        return out

    # -- the reply --------------------------------------------------------------------------

    def used(self, text: str, sql: str) -> list[str]:
        """ "name = meaning, as defined by your team" for each definition the request used and the SQL shows."""
        notes: list[str] = []
        for h in self.hits(text):
            if h.kind == "metric" and self.knowledge and (m := self.knowledge.metric(h.name)):
                if re.search(rf"\bAS {re.escape(m.name)}\b", sql):
                    meaning = m.description or m.sql + (f" where {m.filter}" if m.filter else "")
                    notes.append(f"{m.name} = {meaning.strip().rstrip('.')}")
            elif (
                h.kind == "dimension"
                and h.name.split(".", 1)[1] in sql
                and words(h.label) != words(h.name.split(".", 1)[1])
            ):
                notes.append(f"{h.label} = {h.name}")
        return list(dict.fromkeys(notes))


def _column(ref: str, catalog: Catalog) -> tuple[TableSchema, Col] | None:
    table_name, column = ref.split(".", 1)
    for t in catalog.tables.values():
        if t.short.lower() == table_name.lower() and (c := t.col(column)):
            return t, c
    return None


def _metric_measure(knowledge: Knowledge, metric: Metric, catalog: Catalog) -> Measure | None:
    from shared.adapters.model.offline.catalog_match import Measure

    try:
        expanded = expand_metric(knowledge, metric.name)
        shorts = [
            t
            for text in (expanded.sql, *expanded.filters)
            for t, _ in qualified_columns(parse_fragment(text))[0]
        ]
    except FragmentError:
        return None
    tables = []
    for short in dict.fromkeys(s.lower() for s in shorts):
        t = next((t for t in catalog.tables.values() if t.short.lower() == short), None)
        if t is None:
            return None  # the metric reads a table this request's catalog does not hold
        tables.append(t.name)
    if not tables:
        return None
    fmt = metric.format if metric.format in DASHBOARD_FORMATS else "number"
    return Measure(
        tables[0], "sql", None, metric.name, metric.name.replace("_", " ").capitalize(), fmt, 1, SCORE,
        sql=expanded.sql, where=expanded.filters, tables=tuple(tables),
    )  # fmt: skip


def _dated_count(ref: str, phrase: str, catalog: Catalog) -> Measure | None:
    from shared.adapters.model.offline.catalog_match import Measure, _ident

    found = _column(ref, catalog)
    if found is None or not found[1].temporal:
        return None
    table, col = found
    return Measure(table.name, "count_rows", None, _ident(phrase), phrase.capitalize(), "integer", 1, SCORE,
                   time_column=col.name)  # fmt: skip


def measure_sql(m: Measure, aliases: dict[str, str]) -> str:
    """``m``'s SQL with the query's table aliases for the short names (``order_items.x`` → ``oi.x``)."""
    return f"{_aliased(m.sql or '', aliases)} AS {m.alias}"


def where_sql(measures: tuple[Measure, ...], aliases: dict[str, str]) -> list[str]:
    out: list[str] = []
    for m in measures:
        for f in m.where:
            text = f"({_aliased(f, aliases)})"
            if text not in out:
                out.append(text)
    return out


def _aliased(text: str, aliases: dict[str, str]) -> str:
    by_short = {name.rsplit(".", 1)[-1].lower(): alias for name, alias in aliases.items()}

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.table and node.table.lower() in by_short:
            return exp.column(node.name, table=by_short[node.table.lower()])
        return node

    return sqlglot.parse_one(text, read="bigquery").transform(swap).sql(dialect="bigquery")
