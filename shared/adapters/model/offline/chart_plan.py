"""Decide when a request is a chart request over one table, and say what of it the chart leaves out.

A request goes the chart way when it links to columns of one table and nothing in it names a
measure of the catalog that the chart would not draw (so "revenue by category as a pie" keeps its
revenue, built by the dashboard designer, instead of becoming a count).
"""

from __future__ import annotations

import re
from typing import Any

from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.chart_build import chart_title
from shared.adapters.model.offline.chart_grammar import ChartSpec, parse_chart
from shared.adapters.model.offline.design import COMPUTED, Resolution
from shared.adapters.model.offline.intent import Intent, singular
from shared.adapters.model.offline.linking import FUNCTION_WORDS, pick_table, table_mentions, tokens
from shared.dashboards.model import Dashboard


def chart_request(text: str, catalog: Catalog, intent: Intent, res: Resolution | None) -> ChartSpec | None:
    """The chart spec to build for ``text``, or None to leave the request to the dashboard designer."""
    if (res is not None and (res.derived or res.pending)) or intent.years:
        return None  # a ratio, a rate or a period comparison: the dashboard designer computes it
    picked = pick_table(text, list(catalog.tables.values()))
    if picked is None:
        return None
    table, ms = picked
    spec = parse_chart(text, table, ms)
    if spec is None:
        return None
    covered = {i for m in ms for i in range(m.first, m.last)}
    covered |= {i for a, b in table_mentions(text, table) for i in range(a, b)}
    toks = tokens(text)
    placed = {toks[i].word for i in covered} | _clause_words(spec)
    if res is not None and _designer_answers(res, spec, placed):
        return None
    if res is not None and spec.guessed_measure:
        words = {toks[i].word for i in covered} | {w for c in spec.conditions for w in c.lower().split()}
        unplaced = [w for w in res.unresolved if w not in FUNCTION_WORDS]  # "proportion", "draw": chart words
        if any(w not in words and singular(w) not in words for w in unplaced):
            return None  # words the designer could not place and the chart does not explain either
    for i, tok in enumerate(toks):
        if i in covered or tok.word in FUNCTION_WORDS or len(tok.word) < 3 or tok.word.isdigit():
            continue
        if any(m.kind != "count_rows" for m in catalog.measures(_ask(tok.word))):
            return None  # a measure word the chart would not use
    dated = any(ch.isdigit() for c in [*spec.conditions, *(f.text for f in spec.filters)] for ch in c)
    if intent.period is not None and table.time_column is not None and not dated:
        spec.period = (intent.period.start, intent.period.end)
    return spec


def _clause_words(spec: ChartSpec) -> set[str]:
    """Words of the request's sort, condition and filter clauses, which the chart applies or names."""
    texts = [*spec.conditions, *(f.text for f in spec.filters)]
    words = {w for c in texts for w in re.findall(r"[a-z0-9]+", c.lower())}
    return words | (SORT_WORDS if spec.sort is not None else set())


def _designer_answers(res: Resolution, spec: ChartSpec, placed: set[str]) -> bool:
    """The dashboard designer places every word (and charts it, or answers with KPIs when no chart is
    named), or found a measure and a grouping and no chart type was named.

    Not when the words the designer left unplaced are all placed by the chart (a sort clause, a
    condition, column words), and the chart draws the designer's own grouping (its x or series column, or a time axis)."""
    charted = bool(res.dims or res.grain)
    drawn = {c.name for c in (spec.x.column, spec.color) if c is not None}
    grouped = bool(drawn & {d.column for d in res.dims}) or (
        res.grain is not None and spec.x.column is not None and spec.x.column.temporal
    )
    left = [
        w for w in res.unresolved if w not in FUNCTION_WORDS and w not in placed and singular(w) not in placed
    ]
    if res.unresolved and not left and (grouped or not charted) and not res.default_measure:
        return False
    if (
        not charted
        and spec.x.column is not None
        and spec.y.column is not None
        and spec.y.aggregate != "count"
    ):
        return False  # "for each type, the average tonnage": the chart groups what the designer totals
    if not res.unresolved:
        return charted or not spec.explicit_mark
    return charted and not res.default_measure and not spec.explicit_mark


SORT_WORDS = frozenset(
    [
        "sort",
        "sorted",
        "order",
        "ordered",
        "rank",
        "ranked",
        "list",
        "listed",
        "arrange",
        "asc",
        "ascending",
        "desc",
        "descending",
        "high",
        "low",
        "higher",
        "lower",
        "highest",
        "lowest",
        "increasing",
        "decreasing",
        "alphabetical",
        "alphabetically",
        "largest",
        "smallest",
    ]
)


def _ask(word: str) -> Any:
    from shared.adapters.model.offline.intent import MeasureAsk

    return MeasureAsk(word)


def chart_notes(text: str, catalog: Catalog, intent: Intent, dashboard: Dashboard) -> list[str]:
    """How the saved chart reads the request: a derived measure's formula, the conditions applied."""
    description = dashboard.description or ""
    if COMPUTED in description:  # a ratio or a rate no team definition names: say how it was computed
        how = description.split(COMPUTED, 1)[1].rstrip(".")
        return [
            f"I computed {how} (no team definition names it; add one to the knowledge file to change it)."
        ]
    spec = chart_request(text, catalog, intent, None)
    if spec is None or chart_title(spec) != dashboard.title:
        return []
    # the conditions it left out are named by the one check over the saved model (honesty.coverage)
    if spec.filters:
        return ["Filtered to rows where " + " and ".join(f.describe() for f in spec.filters) + "."]
    return []
