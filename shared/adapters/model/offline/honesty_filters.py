"""Honest replies about filters: a value or a condition of the request either limits the saved
dashboard's queries, or the reply names it and says why it was left out.

Read from the saved model only (its SQL and parameter defaults), so the same check serves every
path: a new dashboard from the chart grammar or the designer, and a follow-up edit.

* *values* — a request word that equals a value of some text column (the catalog's sample values,
  or this turn's value searches), e.g. "France": shown when the value is in a query or a
  parameter default;
* *conditions* — comparisons read by the chart grammar ("whose age is above 30", "before 2020"):
  shown when the column and the compared values are in the SQL; a clause the grammar cannot read
  ("above 30 or empty") is named as not applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.adapters.model.offline.catalog_match import Catalog, TableSchema
from shared.adapters.model.offline.chart_grammar import conditions, placeholders, read_conditions
from shared.adapters.model.offline.conversation import Values
from shared.adapters.model.offline.filters import WITHOUT_COLUMN, Comparison
from shared.adapters.model.offline.linking import mentions
from shared.adapters.model.offline.samples import sample_matches, variants
from shared.dashboards.model import Dashboard

# a clause the grammar left out is named only when it compares something (a number, a quoted value,
# a comparison word), so a clause that describes the chart ("that groups and counts …") is not
COMPARING = re.compile(
    r"\d|['\"]|\b(?:is|are|was|were|equals?|contains?|starts?|ends?|ending|starting|before|after|than|between|not|"
    r"empty|null|missing|like|above|below|over|under|at least|at most)\b"
)


@dataclass
class FilterCheck:
    notes: list[str] = field(default_factory=list)
    value_words: set[str] = field(default_factory=set)  # request words known to be data values
    condition_words: set[str] = field(default_factory=set)  # words of the request's condition clauses


def _text(d: Dashboard) -> str:
    """Every query's SQL and every parameter default, lower-case."""
    sql = " ".join(q.sql for q in d.queries.values())
    return (sql + " " + " ".join(str(getattr(p, "default", "")) for p in d.parameters)).lower()


def _read_tables(d: Dashboard, catalog: Catalog) -> list[TableSchema]:
    sql = " ".join(q.sql for q in d.queries.values())
    return [t for t in catalog.tables.values() if f"`{t.name}`" in sql or t.name in sql]


def _known_values(words: list[str], catalog: Catalog, values: Values) -> dict[str, tuple[str, str, str]]:
    """word → (value as stored, table, column) for the words equal to a value of some text column."""
    columns = [(t.name, c.name) for t in catalog.tables.values() for c in t.columns if c.sample_values]
    found = {**sample_matches(words, catalog, columns), **values}
    out: dict[str, tuple[str, str, str]] = {}
    for (word, table, column), hits in found.items():
        forms = variants(word)
        for v in hits:
            text = str(v.value)
            if word in words and word not in out and text.lower() in forms:
                out[word] = (text, table, column)
    return out


def check_filters(
    message: str, filter_words: list[str], d: Dashboard, catalog: Catalog, values: Values | None = None
) -> FilterCheck:
    """Sentences for the values and conditions of ``message`` that ``d`` does not apply."""
    out = FilterCheck()
    text = _text(d)
    known = _known_values(filter_words, catalog, values or {})
    out.value_words = set(known)
    missing = [(v, t, c) for v, t, c in known.values() if v.lower() not in text]
    for value, table, column in dict.fromkeys(missing):
        short = catalog.table(table).short
        out.notes.append(
            f"I did not filter it to “{value}” ({short}.{column}): no query of it keeps only that value."
        )
    applied: list[Comparison] = []
    left: list[str] = []
    tables = _read_tables(d, catalog)
    out.condition_words = clause_words(message, tables)
    for t in tables:
        r = placeholders(message, mentions(message, t))
        a, lo = read_conditions(r.text, r.cols, t)
        applied += [c for c in a if c not in applied]
        left += [c for c in lo if c not in left]
    sql = " ".join(q.sql for q in d.queries.values()).lower()
    unapplied = [c.describe() for c in applied if not _applied(c, sql)]
    if unapplied:
        out.notes.append(
            "I did not apply the condition" + ("s" if len(unapplied) > 1 else "") + " "
            + "; ".join(f"“{c}”" for c in dict.fromkeys(unapplied)) + ": the dashboard covers all rows."
        )  # fmt: skip
    left = [c for c in left if COMPARING.search(c)]  # "that groups and counts the name": no condition
    dropped = list({_key(c): c for c in left if not any(_explains(a, c) for a in applied)}.values())
    if dropped:
        out.notes.append(
            "I did not apply the condition" + ("s" if len(dropped) > 1 else "") + " "
            + "; ".join(f"“{c}”" for c in dropped) + ": the chart covers all rows, so add a filter if you need it."
        )  # fmt: skip
    return out


def clause_words(message: str, tables: list[TableSchema]) -> set[str]:
    """The words of the request's condition clauses ("whose age is above 30", "older than 40") on
    ``tables``: they say which rows to keep, not what to measure."""
    low = message.lower()
    out = {w for p, _n, _o in WITHOUT_COLUMN for m in re.finditer(p, low) for w in m.group(0).split()}
    for t in tables:
        r = placeholders(message, mentions(message, t))
        for c in conditions(r.text):
            names = " ".join(r.cols[int(k)].name for k in re.findall(r"@(\d+)", c.group(0)))
            out |= set(re.split(r"[^a-z0-9]+", f"{c.group(0)} {names}".lower().replace("_", " ")))
    return out - {""}


def _applied(c: Comparison, sql: str) -> bool:
    col = re.escape(c.column.name.lower())
    if not re.search(col, sql):
        return False
    if c.op == "null":
        return re.search(rf"{col}\W*\s+is\s+null", sql) is not None
    if c.op == "not_null":
        return re.search(rf"{col}\W*\s+is\s+not\s+null|\bnot\s+\S*{col}\W*\s+is\s+null", sql) is not None
    return all(re.sub(r"^['\"]|['\"]$", "", v).lower() in sql for v in c.values)


def _explains(a: Comparison, clause: str) -> bool:
    """Whether applied comparison ``a`` is what ``clause`` (left out on another table) said."""
    low = clause.lower()
    return a.column.name.lower() in low or (bool(a.values) and all(v.lower() in low for v in a.values))


def _key(clause: str) -> str:
    return re.sub(r"[\s_]+", "", clause.lower())
