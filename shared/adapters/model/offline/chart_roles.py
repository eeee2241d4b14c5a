"""Which placeholders of a chart request may take an axis: sort clauses, the table's own rows, a
counted column named first, a row label, a category before a number.

Helpers of :mod:`shared.adapters.model.offline.chart_grammar`, on its placeholder text (``@k`` for the
k-th column mention).
"""

from __future__ import annotations

import re

from shared.adapters.model.offline.catalog_match import Col, TableSchema
from shared.adapters.model.offline.intent import singular
from shared.adapters.model.offline.linking import Mention, split_words, table_mentions, tokens

SORT_CLAUSE = re.compile(r"\b(?:sort|sorted|order|ordered|rank|ranked|arrange)\b[^,.;?]*")
SORT_TAIL = re.compile(r"\s*(?:order\s+)?(?:by|of|on)\s+(?:the\s+)*@\d+")  # "... high to low by the @3"
SORT = re.compile(
    r"\b(?:sort|sorted|order|ordered|rank|ranked|list|listed|arrange|display|show|put)\b[^,.;?]*?"
    r"\b(asc|ascending|desc|descending|high to low|low to high|highest to lowest|lowest to highest|"
    r"increasing|decreasing|alphabetical(?:ly)?|largest to smallest|smallest to largest)\b"
    r"|\b(asc|ascending|desc|descending|from high to low|from low to high|alphabetical(?:ly)?)\b"
)
ROW_WORDS = frozenset(["each", "every", "all"])


def without_sort(t: str) -> tuple[str, set[int]]:
    """Placeholder text without its sort clauses, and the placeholders those clauses named."""
    spans = [(m.start(), m.end()) for m in SORT.finditer(t)]
    tails = [(b, b + tail.end()) for _, b in spans if (tail := SORT_TAIL.match(t[b:]))]
    clauses = [(m.start(), m.end()) for m in SORT_CLAUSE.finditer(t)] + tails
    spans += clauses
    refs = {int(k) for a, b in clauses for k in re.findall(r"@(\d+)", t[a:b])}  # "show" may start a sort
    out = t
    for a, b in sorted(spans, reverse=True):
        out = out[:a] + " " * (b - a) + out[b:]
    return re.sub(r"\s+", " ", out), refs


def entity_refs(text: str, table: TableSchema, ms: list[Mention]) -> set[int]:
    """Placeholders naming a column called like the table, where the words name the table's rows
    ("how many music festivals" for a column ``Music_Festival`` of table ``music_festival``)."""
    spans = table_mentions(text, table)
    rows = [singular(w) for w in split_words(table.short)]
    return {
        k
        for k, m in enumerate(ms)
        if [singular(w) for w in split_words(m.column.name)] == rows
        and any(m.first < b and a < m.last for a, b in spans)
    }


def counted_first(roles: list[int], aggs: dict[int, str], weak: set[int], entity: set[int]) -> int | None:
    """A counted column named before any other axis column ("the number of @0 of @1", "how many @0
    ... when @1"): the bars count its values (COUNT(x) GROUP BY x). Not the table's rows ("how many
    players ..."), which are counted by whatever groups them."""
    strong = [k for k in roles if k not in weak]
    if strong and aggs[strong[0]] == "count" and strong[0] not in entity:
        return strong[0] if all(aggs[k] in ("none", "count") for k in strong) else None
    return None


def row_label(
    text: str, table: TableSchema, cols: list[Col], roles: list[int], aggs: dict[int, str]
) -> Col | None:
    """The table's label column when the request names one plain measure of each row ("the budget of
    each department", "the age of every singer") and no column to group it by."""
    named = {cols[k].name for k in roles}
    if len(named) != 1 or not all(aggs[k] == "none" and cols[k].numeric for k in roles):
        return None
    toks = tokens(text)
    if not any(a > 0 and toks[a - 1].word in ROW_WORDS for a, _ in table_mentions(text, table)):
        return None
    labels = [
        c
        for c in table.columns
        if c.type.upper() == "STRING" and split_words(c.name)[-1:] in (["name"], ["title"])
    ]
    return min(labels, key=lambda c: len(c.name)) if labels else None


def category_first(free: list[int], cols: list[Col]) -> int | None:
    """The x axis of bars among the listed columns: the first, unless it is a number and a text (or
    date) column follows ("the weight and name of each pet" puts the names on x)."""
    if not free:
        return None
    if cols[free[0]].numeric:
        return next((k for k in free if not cols[k].numeric), free[0])
    return free[0]
