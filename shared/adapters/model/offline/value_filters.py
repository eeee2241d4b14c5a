"""Value filters of a designed request: which words to look up among column values (or the
catalog's samples), and the filters the found values make (one value bound as a parameter,
several written as an IN list)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.conversation import Values
from shared.adapters.model.offline.intent import Intent, singular
from shared.adapters.model.offline.samples import sample_matches
from shared.adapters.model.offline.sql_build import PERIOD_PARAM, ValueFilter

if TYPE_CHECKING:
    from shared.adapters.model.offline.design import Resolution


def filter_candidates(intent: Intent, res: Resolution) -> list[str]:
    """Words that may be data values: filter words, and measure words nothing else matched."""
    return list(dict.fromkeys([*intent.filter_words, *res.unresolved, *res.modifiers]))


def lookups_needed(intent: Intent, res: Resolution, catalog: Catalog) -> list[tuple[str, str, str]]:
    """(word, table, column) value searches for the request's possible filter words."""
    words = _value_words(intent, res, catalog)
    columns = catalog.filter_columns(res.base)
    sampled = {w for w, _t, _c in sample_matches(words, catalog, columns)}
    return res.pending + [(w, t, c) for w in words if w not in sampled for t, c in columns]


def _value_words(intent: Intent, res: Resolution, catalog: Catalog) -> list[str]:
    """The request's possible filter words that name no measure, grouping or table."""
    words = [
        w
        for w in filter_candidates(intent, res)
        if w not in res.used_words and singular(w) not in res.used_words
    ]
    return [
        w for w in words if not catalog.by_entity(w) and not any(d.score >= 8 for d in catalog.dimensions(w))
    ]


def match_filters(
    intent: Intent,
    res: Resolution,
    catalog: Catalog,
    values: Values,
) -> list[ValueFilter]:
    """Filters from the words that equal a column value (case-insensitive); several values → IN."""
    columns_of_base = catalog.filter_columns(res.base)
    values = {**sample_matches(_value_words(intent, res, catalog), catalog, columns_of_base), **values}
    by_word: dict[str, list[tuple[int, int, str, str, str]]] = {}
    for (word, table, column), found in values.items():
        variants = {word, singular(word), word[:-1] if word.endswith("d") else word,
                    word[:-2] if word.endswith("ed") else word}  # fmt: skip
        for v in found:
            text = str(v.value)
            if text.lower() in variants or singular(text.lower()) in variants:
                hops = len(catalog.path(res.base, table) or [])
                by_word.setdefault(word, []).append((hops, -v.count, table, column, text))
    columns: dict[tuple[str, str], list[str]] = {}
    for word in filter_candidates(intent, res):
        hits = sorted(by_word.get(word, []))
        if hits:
            _, _, table, column, text = hits[0]
            if text not in columns.setdefault((table, column), []):
                columns[(table, column)].append(text)
    out: list[ValueFilter] = []
    for (table, column), found_values in columns.items():
        param = re.sub(r"[^a-z0-9_]", "_", column.lower())
        if param.startswith(PERIOD_PARAM):
            param = "f_" + param
        out.append(ValueFilter(table, column, param, tuple(found_values)))
    return out


def matched_words(intent: Intent, res: Resolution, filters: list[ValueFilter]) -> set[str]:
    """Candidate words that became filters."""
    values = {v.lower() for f in filters for v in f.values}
    out = set()
    for w in filter_candidates(intent, res):
        variants = {w, singular(w), w[:-1], w[:-2]}
        if any(v in variants or singular(v) in variants for v in values):
            out.add(w)
    return out
