"""Conditions of a dashboard request ("users older than 30 by country", "orders with at least 3
items by status") as WHERE filters of the designer's queries, read on the base table first, then on
the tables it joins to; the same comparison is applied once."""

from __future__ import annotations

from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.chart_grammar import placeholders, read_conditions
from shared.adapters.model.offline.linking import mentions
from shared.adapters.model.offline.sql_build import ConditionFilter


def request_conditions(text: str, catalog: Catalog, base: str) -> list[ConditionFilter]:
    """The comparisons of ``text`` on ``base`` and the tables reachable from it."""
    out: list[ConditionFilter] = []
    seen: set[str] = set()
    for name in [base] + [t for t in catalog.reachable(base) if t != base]:
        table = catalog.table(name)
        r = placeholders(text, mentions(text, table))
        applied, _left = read_conditions(r.text, r.cols, table)
        for f in applied:
            if f.text in seen:
                continue
            seen.add(f.text)
            out.append(ConditionFilter(name, f.column.name, f.sql("{ref}"), f.describe()))
    return out
