"""Conditions of a request as SQL filters: numeric comparisons, ranges, dates, text values, nulls.

Works on the placeholder text of :mod:`chart_grammar` (``whose @2 is above 30``, ``with @1 between
2 and 5``, ``@0 before 2010``, ``@3 is not "NYY"``), so any schema's column names read the same.
Words that name a column by meaning ("older than 30" → an age column) are read too. A clause none
of these patterns reads is left out and named in the reply, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.adapters.model.offline.catalog_match import Col, TableSchema
from shared.adapters.model.offline.sql_build import string_literal

NUM = r"(-?\d+(?:\.\d+)?)"
DATE = r"((?:19|20)\d\d(?:-\d\d?-\d\d?)?)"
VALUE = r"('[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?\b|[a-z][a-z0-9]*\b)"
BE = r"(?:is\s+|are\s+|was\s+|were\s+|be\s+)?"
NUMERIC_OPS = (  # (pattern right after the column, operator); first match wins
    (rf"{BE}(?:in\s+the\s+range\s+of|between|from)\s+{NUM}\s+(?:and|to|-)\s+{NUM}", "between"),
    (rf"{BE}(?:not\s+(?:more|greater|higher|larger|bigger|above|over)(?:\s+than)?|at\s+most|no\s+more\s+than|"
     rf"less\s+than\s+or\s+equal\s+to|up\s+to|<=)\s*{NUM}", "<="),
    (rf"{BE}(?:not\s+(?:less|fewer|lower|smaller|below|under)(?:\s+than)?|at\s+least|no\s+less\s+than|"
     rf"greater\s+than\s+or\s+equal\s+to|>=|or\s+more\s+than)\s*{NUM}", ">="),
    (rf"{BE}(?:greater|more|larger|bigger|higher|longer|older|heavier|above|over|exceeds?|exceeding|>)"
     rf"(?:\s+than)?\s*{NUM}", ">"),
    (rf"{BE}(?:less|smaller|lower|fewer|shorter|younger|lighter|below|under|<)(?:\s+than)?\s*{NUM}", "<"),
)  # fmt: skip
DATE_OPS = (
    (rf"{BE}(?:before|earlier\s+than|prior\s+to|until)\s+{DATE}", "<"),
    (rf"{BE}(?:after|later\s+than)\s+{DATE}", ">"),
    (rf"{BE}(?:since|from)\s+{DATE}", ">="),
    (rf"{BE}(?:in|during)\s+((?:19|20)\d\d)\b", "year"),
)
NULL_OPS = (
    (rf"{BE}(?:not\s+null|not\s+empty|known|present|given|set)\b", "not_null"),
    (rf"{BE}(?:null|empty|missing|unknown)\b", "null"),
)
NOT_EQUAL = rf"(?:{BE}not(?:\s+equal(?:s)?(?:\s+to)?)?|does\s+not\s+equal(?:\s+to)?|doesn't\s+equal|!=|<>|isn't|aren't)\s*{VALUE}"
EQUAL = rf"(?:{BE}(?:equal(?:s)?\s+to\s+|equals\s+|=\s*|named\s+|called\s+)?|=\s*|of\s+){VALUE}"
WITHOUT_COLUMN = (  # a comparison word that names the column by meaning
    (rf"\bolder\s+than\s+{NUM}", ("age",), ">"),
    (rf"\byounger\s+than\s+{NUM}", ("age",), "<"),
    (rf"\b(?:aged|age)\s+(?:over|above)\s+{NUM}", ("age",), ">"),
    (rf"\b(?:aged|age)\s+(?:under|below)\s+{NUM}", ("age",), "<"),
    (rf"\b(?:cheaper|less\s+expensive)\s+than\s+{NUM}", ("price", "cost"), "<"),
    (rf"\b(?:more\s+expensive|pricier)\s+than\s+{NUM}", ("price", "cost"), ">"),
    (rf"\b(?:taller)\s+than\s+{NUM}", ("height",), ">"),
    (rf"\b(?:shorter)\s+than\s+{NUM}", ("height",), "<"),
    (rf"\b(?:heavier)\s+than\s+{NUM}", ("weight",), ">"),
    (rf"\b(?:lighter)\s+than\s+{NUM}", ("weight",), "<"),
)
COUNT_BEFORE = (  # "at least 3 @2", "more than 50 @1": the number comes before the column
    (rf"(?:at\s+least|no\s+less\s+than|or\s+more)\s+{NUM}\s+$", ">="),
    (rf"(?:more|greater|over)\s+than\s+{NUM}\s+$", ">"),
    (rf"(?:less|fewer)\s+than\s+{NUM}\s+$", "<"),
    (rf"(?:at\s+most|no\s+more\s+than|up\s+to)\s+{NUM}\s+$", "<="),
)
STOP_VALUES = frozenset(["a", "an", "the", "and", "or", "in", "of", "for", "to", "by", "with", "on", "at", "from",
                         "is", "are", "not", "than", "that", "which", "who", "all", "each", "any"])  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    """``column op values`` as the user wrote it; :meth:`sql` renders it for one table alias."""

    column: Col
    op: str  # > >= < <= = != between year null not_null
    values: tuple[str, ...] = ()
    text: str = ""

    def sql(self, ref: str) -> str:
        c = self.column
        if self.op == "null":
            return f"{ref} IS NULL"
        if self.op == "not_null":
            return f"{ref} IS NOT NULL"
        if c.temporal:
            return _date_sql(ref, self.op, self.values)
        if self.op == "between":
            return f"{ref} BETWEEN {self._lit(self.values[0])} AND {self._lit(self.values[1])}"
        if self.op in ("=", "!=") and not c.numeric:
            return f"LOWER(CAST({ref} AS STRING)) {self.op} {string_literal(self.values[0].lower())}"
        return f"{ref} {self.op} {self._lit(self.values[0])}"

    def _lit(self, v: str) -> str:
        return v if self.column.numeric and _number(v) else string_literal(v)

    def describe(self) -> str:
        name = self.column.name
        words = {"between": "between", "year": "in", "null": "is empty", "not_null": "is set"}
        if self.op == "between":
            return f"{name} between {self.values[0]} and {self.values[1]}"
        if self.op in ("null", "not_null"):
            return f"{name} {words[self.op]}"
        return f"{name} {words.get(self.op, self.op)} {self.values[0]}"


def _number(v: str) -> bool:
    return re.fullmatch(r"-?\d+(?:\.\d+)?", v) is not None


def _date_sql(ref: str, op: str, values: tuple[str, ...]) -> str:
    v = values[0]
    if op == "year" or (re.fullmatch(r"\d{4}", v) and op in ("=", "!=")):
        return f"EXTRACT(YEAR FROM {ref}) {'=' if op == 'year' else op} {int(v[:4])}"
    if op == "between":
        a, b = _day(values[0], start=True), _day(values[1], start=False)
        return f"DATE({ref}) BETWEEN DATE {string_literal(a)} AND DATE {string_literal(b)}"
    day = _day(v, start=op in (">=", "<"))
    return f"DATE({ref}) {op} DATE {string_literal(day)}"


def _day(v: str, *, start: bool) -> str:
    if re.fullmatch(r"\d{4}", v):
        return f"{v}-01-01" if start else f"{v}-12-31"
    y, m, d = (int(p) for p in v.split("-"))
    return f"{y:04d}-{m:02d}-{d:02d}"


def _unquote(v: str) -> str:
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"" else v


def read_clause(clause: str, cols: list[Col], table: TableSchema | None = None) -> list[Comparison]:
    """The comparisons of one condition clause of placeholder text (``@k`` → ``cols[k]``)."""
    out: list[Comparison] = []
    for m in re.finditer(r"@(\d+)", clause):
        col = cols[int(m.group(1))]
        after = clause[m.end() :]
        before = clause[: m.start()]
        found = _after(col, after.lstrip()) or _before(col, before)
        if found is not None:
            out.append(found)
    if table is not None and not out:
        out.extend(_by_meaning(clause, table))
    return out


def _after(col: Col, after: str) -> Comparison | None:
    if col.temporal:
        for pattern, op in DATE_OPS:
            if m := re.match(pattern, after):
                return Comparison(col, op, (m.group(1),), m.group(0))
    for pattern, op in NULL_OPS:
        if m := re.match(pattern, after):
            return Comparison(col, op, (), m.group(0))
    for pattern, op in NUMERIC_OPS:
        if (m := re.match(pattern, after)) and (col.numeric or col.temporal):
            return Comparison(col, op, tuple(g for g in m.groups() if g), m.group(0))
    if m := re.match(NOT_EQUAL, after):
        return _equal(col, "!=", m)
    if (m := re.match(EQUAL, after)) and (
        m.group(1)[0] in "'\""
        or _number(m.group(1))
        or m.group(0).startswith(("is", "are", "=", "equal", "named", "called"))
    ):
        return _equal(col, "=", m)
    return None


def _equal(col: Col, op: str, m: re.Match[str]) -> Comparison | None:
    value = _unquote(m.group(1))
    if not value or value in STOP_VALUES or (col.numeric and not _number(value)):
        return None
    if col.temporal and not re.fullmatch(r"(?:19|20)\d\d(?:-\d\d?-\d\d?)?", value):
        return None
    return Comparison(col, op, (value,), m.group(0))


def _before(col: Col, before: str) -> Comparison | None:
    if not col.numeric:
        return None
    for pattern, op in COUNT_BEFORE:
        if m := re.search(pattern, before[-40:]):
            return Comparison(col, op, (m.group(1),), m.group(0))
    return None


def _by_meaning(clause: str, table: TableSchema) -> list[Comparison]:
    out = []
    for pattern, names, op in WITHOUT_COLUMN:
        m = re.search(pattern, clause)
        if not m:
            continue
        col = next(
            (
                c
                for n in names
                for c in table.columns
                if c.numeric and n in re.split(r"[^a-z]+", c.name.lower())
            ),
            None,
        )
        if col is not None:
            out.append(Comparison(col, op, (m.group(1),), m.group(0)))
    return out


def value_mentions(text: str, table: TableSchema, taken: list[tuple[int, int]]) -> list[Comparison]:
    """``column = value`` for each sample value of a text column the request names outside the
    column mentions ("users from Germany" → country = Germany; "not Cancelled" → status != ...)."""
    from shared.adapters.model.offline.linking import FUNCTION_WORDS

    low = text.lower()
    out: list[Comparison] = []
    for col in table.columns:
        for value in col.sample_values:
            v = value.lower().strip()
            if len(v) < 3 or v in FUNCTION_WORDS or v in STOP_VALUES or _number(v):
                continue
            m = re.search(rf"(?<![a-z0-9]){re.escape(v)}(?![a-z0-9])", low)
            if m is None or any(m.start() < b and a < m.end() for a, b in taken):
                continue
            negated = re.search(
                r"\b(?:not|except|excluding|other than|besides|without)\s+(?:the\s+)?$", low[: m.start()]
            )
            out.append(Comparison(col, "!=" if negated else "=", (value,), text[m.start() : m.end()]))
            break  # one value per column: several would need an IN list the reply names
    return out
