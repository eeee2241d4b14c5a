"""The catalog's sample values as found filter values: a request word that equals a frequent value
of a text column ("Germany", "Returned") needs no value search (the scan already holds it)."""

from __future__ import annotations

from shared.adapters.model.offline.catalog_match import Catalog
from shared.adapters.model.offline.conversation import Values
from shared.adapters.model.offline.intent import singular
from shared.adapters.model.protocol import ColumnValue


def variants(word: str) -> set[str]:
    """The forms of a request word a value may take: returned → return, returns, return(ed)."""
    out = {word, singular(word)}
    if word.endswith("ed"):
        out |= {word[:-1], word[:-2]}
    return out


def sample_matches(words: list[str], catalog: Catalog, columns: list[tuple[str, str]]) -> Values:
    """``{(word, table, column): [ColumnValue]}`` for the words equal to a sample value."""
    out: Values = {}
    for word in words:
        forms = variants(word)
        for table, column in columns:
            col = catalog.table(table).col(column)
            if col is None:
                continue
            hits = [v for v in col.sample_values if v.lower() in forms or singular(v.lower()) in forms]
            if hits:
                out[(word, table, column)] = [ColumnValue(value=v, count=0) for v in hits]
    return out
