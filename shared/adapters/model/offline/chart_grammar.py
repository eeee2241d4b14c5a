"""Read a chart request into a :class:`ChartSpec`: mark, x (and its time bin), y aggregate, colour series, sort.

The request is rewritten with every column mention replaced by a placeholder (``@0``, ``@1`` ...),
so a small grammar of regular expressions can read its structure whatever the schema's names:
"the average of @1 over @0", "group by attribute @2", "x-axis is @0", "bin @0 by weekday",
"sort by the y-axis in descending order". Condition clauses ("whose @3 is above 30") are set
aside as filters, so their columns never become axes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.adapters.model.offline.catalog_match import Col, TableSchema
from shared.adapters.model.offline.chart_roles import (
    SORT,
    category_first,
    counted_first,
    entity_refs,
    row_label,
    without_sort,
)
from shared.adapters.model.offline.filters import Comparison, read_clause, value_mentions
from shared.adapters.model.offline.linking import (
    AGE_WORDS,
    Mention,
    mentions,
    split_words,
    table_mentions,
    tokens,
)

AGG_BEFORE = (  # (pattern right before a placeholder, aggregate)
    (r"(?:total|overall)\s+(?:number|count|amount)\s+of\s+(?:the\s+)?(?:different\s+|distinct\s+|all\s+)?$", "count"),
    (r"(?:number|count|amount|counts|quantity)\s+of\s+(?:the\s+|all\s+)?(?:different\s+|distinct\s+|unique\s+)?$", "count"),
    (r"how\s+many\s+(?:\w+\s+){0,2}?(?:different\s+|distinct\s+)?$", "count"),
    (r"\bcount\s+(?:the\s+|of\s+|all\s+)*(?:different\s+|distinct\s+)?$", "count"),
    (r"(?:sum|total|totals|summation)\s+(?:of\s+)?(?:the\s+|all\s+)?$", "sum"),
    (r"(?:average|avg|mean)\s+(?:of\s+|number\s+of\s+)?(?:the\s+|all\s+)?(?:(?!and\b|or\b|by\b|for\b|per\b|vs\b)[a-z]+\s+)?$", "avg"),
    (r"(?:maximum|maximal|max|highest|largest|biggest|greatest|most)\s+(?:of\s+)?(?:the\s+)?$", "max"),
    (r"(?:minimum|minimal|min|lowest|smallest|least)\s+(?:of\s+)?(?:the\s+)?$", "min"),
)  # fmt: skip
KEY_WORDS = frozenset(["id", "code", "number", "no", "year", "month", "day", "date"])  # never summed
AGG_AFTER = ((r"^\s*(?:count|counts)\b", "count"),)
COUNT_WORDS = re.compile(
    r"\b(how many|number of|count|counts|total number|amount of|frequency|frequencies)\b"
)
BIN_WORDS = (
    (r"\b(?:weekday|week ?day|day of (?:the )?week|days of (?:the )?week)s?\b", "weekday"),
    (r"\bby time\b|\bmonth(?:s|ly)?\b", "month"),
    (r"\b(?:year(?:s|ly)?|annual(?:ly)?)\b", "year"),
    (r"\b(?:day|days|daily|date)\b", "day"),
)
CONDITION = re.compile(
    r"(?:\b(?:whose|who|where|which|that|without|excluding|except|if)\b|\bwith(?=\s+(?:a|an|the|no|more|less|"
    r"at|@\d+\s+(?:is|are|of|greater|less|more|larger|smaller|bigger|higher|lower|above|below|over|under|not|"
    r"equal|before|after|between|in|=|>|<|[\"'])))"
    r"|\b(?:when|their|its)(?=\s+(?:the\s+)?@\d+\s+(?:is|are|was|were|does|do|has|have)\b))"  # "when the @2 is"
    r"[^,.;?]*?(?=,|\.|;|\?|\b(?:draw|show|visuali[sz]e|give|return|list|plot|display|find|create|"
    r"compare|and (?:draw|show|visuali[sz]e|plot|display|give|return)|in a|by a|with a|as a|using a|"
    r"(?:for|in|of|from|by) (?:each|every|different)|per|group(?:ed|s)? by)\b|$)"  # a grouping phrase ends it
)
DATE_CONDITION = re.compile(
    r"@\d+\s+(?:(?:is|are|was|were)\s+)?(?:before|after|since|earlier than|later than|prior to)\s+(?:19|20)\d\d(?:-\d\d?-\d\d?)?"
)
LAYOUT_WORDS = re.compile(r"\b(?:axis|colou?red|group(?:s|ed|ing)?|stacked|sort|sorted|order|ordered)\b")


@dataclass
class Axis:
    column: Col | None  # None: COUNT(*)
    aggregate: str = "none"  # none, count, sum, avg, min, max
    bin: str | None = None  # year, month, weekday, day


@dataclass
class ChartSpec:
    table: TableSchema
    mark: str  # bar, line, pie, scatter
    x: Axis
    y: Axis
    color: Col | None = None
    sort: tuple[str, str] | None = None  # ("x" | "y", "asc" | "desc")
    limit: int | None = None
    conditions: list[str] = field(default_factory=list)  # condition clauses as written, not applied
    filters: list[Comparison] = field(default_factory=list)  # condition clauses applied in the SQL
    explicit_mark: bool = False
    guessed_measure: bool = False  # no word named the measure; rows are counted
    period: tuple[str, str] | None = None  # (start, end) dashboard date defaults on the table's time column
    notes: list[str] = field(default_factory=list)  # what was asked and not drawn as asked


@dataclass
class _Read:
    text: str  # lower-case request with @k placeholders
    cols: list[Col]  # placeholder k → column
    in_condition: set[int]


def placeholders(text: str, ms: list[Mention]) -> _Read:
    toks = tokens(text)
    out, pos = [], 0
    for k, m in enumerate(ms):
        start, end = toks[m.first].start, toks[m.last - 1].end
        out.append(text[pos:start].lower())
        out.append(f" @{k} ")
        pos = end
    out.append(text[pos:].lower())
    t = re.sub(r"_|(?<!\d)-|-(?!\d)", " ", "".join(out))
    t = re.sub(r"[^a-z0-9@,.;?'\"<>=!\- ]+", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    cond: set[int] = set()
    for c in conditions(t):
        cond |= {int(k) for k in re.findall(r"@(\d+)", c.group(0))}
    return _Read(t, [m.column for m in ms], cond)


def read_conditions(t: str, cols: list[Col], table: TableSchema) -> tuple[list[Comparison], list[str]]:
    """(filters applied in the SQL, condition clauses left out as written) of placeholder text ``t``.

    A clause is applied only when every column it names gets a comparison and it joins its parts
    with "and" only (an "or" would need a grouping the chart does not show)."""
    applied: list[Comparison] = []
    left: list[str] = []
    for c in conditions(t):
        clause = c.group(0)
        if not re.search(r"@\d+|\d", clause):
            continue
        found = read_clause(clause, cols, table)
        named = set(re.findall(r"@(\d+)", clause))
        if found and len(found) >= len(named) and not re.search(r"\bor\b|\bletters?\b|\bcontain", clause):
            applied.extend(f for f in found if f not in applied)
        else:
            left.append(re.sub(r"@(\d+)", lambda m: cols[int(m.group(1))].name, clause.strip()))
    for f in read_clause(re.sub(r"@\d+", " ", t), [], table):  # "older than 30": a column by meaning
        if all(a.column.name != f.column.name for a in applied):
            applied.append(f)
    return applied, left


def conditions(t: str) -> list[re.Match[str]]:
    """Condition clauses, leaving out clauses that place axes or series ("where @0 is on the x axis")."""
    found = [
        c
        for c in CONDITION.finditer(t)
        if not LAYOUT_WORDS.search(c.group(0))
        and not (  # "a bar chart that counts ...": the clause says what the chart shows
            re.match(r"(?:that|which)\b", c.group(0))
            and re.search(r"\b(?:chart|graph|plot|diagram|bars?|pie|histogram)\s*$", t[: c.start()])
        )
    ]
    for d in DATE_CONDITION.finditer(t):  # "@2 before 2021-03-15" needs no "whose"
        if all(d.end() <= c.start() or d.start() >= c.end() for c in found):
            found.append(d)
    return sorted(found, key=lambda c: c.start())


def _mark(t: str) -> tuple[str | None, bool, bool]:
    """(mark, explicit, wants a series) from the chart words of the request."""
    series = bool(
        re.search(r"\b(stack(?:ed)?|group(?:ed|ing)? line|grouped bar|multi ?(?:series|line)|clustered)\b", t)
    )
    for pattern, mark in (
        (r"\bscatter", "scatter"),
        (r"\b(pie|donut|doughnut)\b", "pie"),
        (r"\bline (chart|graph|plot)|\bline\b|\blines\b", "line"),
        (r"\b(bar|bars|histogram|column chart|stack(?:ed)?)\b", "bar"),
    ):
        if re.search(pattern, t):
            return mark, True, series
    for pattern, mark in (
        (r"\b(correlation|relationship|correlate|relation)\b", "scatter"),
        (r"\b(proportion|share|percentage of)\b", "pie"),
        (r"\b(trend|over time|change over|changes over|evolution)\b", "line"),
    ):
        if re.search(pattern, t):
            return mark, False, series
    return None, False, series


def _aggregate_of(t: str, k: int) -> str:
    i = t.find(f"@{k} ") if f"@{k} " in t else t.find(f"@{k}")
    before, after = t[:i], t[i + len(f"@{k}") :]
    before = re.sub(r"@\d+\s+and\s+(?:the\s+)?$", "", before)  # "the number of @0 and @1": @1 is not counted
    for pattern, agg in AGG_BEFORE:
        if re.search(pattern, before[-60:]):
            return agg
    for pattern, agg in AGG_AFTER:
        if re.search(pattern, after):
            return agg
    return "none"


def _summed(t: str, k: int, col: Col, agg: str) -> str:
    """ "The total number of @k" / "how many total @k" on a quantity column sums it (a count of an
    identifier stays a count)."""
    if agg != "count" or not col.numeric or set(split_words(col.name)) & KEY_WORDS:
        return agg
    before = t[: t.find(f"@{k}")][-40:]
    return (
        "sum"
        if re.search(r"\b(?:total\s+(?:number|amount)\s+of\s+(?:the\s+)?|how\s+many\s+total\s+)$", before)
        else agg
    )


def _first_ref(t: str, *patterns: str) -> int | None:
    return next((k for p in patterns if (k := _ref(t, p)) is not None), None)


def _ref(t: str, pattern: str) -> int | None:
    m = re.search(pattern, t)
    return int(m.group(1)) if m else None


def parse_chart(text: str, table: TableSchema, ms: list[Mention] | None = None) -> ChartSpec | None:
    """The chart a request asks for on ``table``; None when it names no column to draw."""
    ms = mentions(text, table) if ms is None else ms
    r = placeholders(text, ms)
    t = r.text
    mark, explicit, series = _mark(t)
    roles = [k for k in range(len(r.cols)) if k not in r.in_condition]
    if not roles:
        return None
    aggs = {k: _summed(t, k, r.cols[k], _aggregate_of(t, k)) for k in roles}
    toks = tokens(text)
    for k in roles:  # "the youngest" is MIN(age), "how old ..., on average" AVG(age)
        word = toks[ms[k].first].word
        if word in AGE_WORDS and aggs[k] == "none":
            aggs[k] = "avg" if word == "old" and re.search(r"\b(?:average|mean)\b", t) else AGE_WORDS[word]
    x_ref = _first_ref(
        t,
        r"\bx(?: ?axis| ?coordinate)?\s+(?:is|as|of|shows?|for|be|:|=)?\s*(?:the\s+)?@(\d+)",
        r"@(\d+)\s+(?:is\s+)?(?:on|as|for|in|along)\s+(?:the\s+)?x(?: ?axis)?\b",
    )
    y_ref = _first_ref(
        t,
        r"\by(?: ?axis| ?coordinate)?\s+(?:is|as|of|shows?|for|be|:|=)?\s*(?:the\s+)?(?:\w+\s+){0,3}?@(\d+)",
        r"@(\d+)\s+(?:is\s+)?(?:on|as|for|in|along)\s+(?:the\s+)?y(?: ?axis)?\b",
    )
    group_ref = _ref(
        t,
        r"\b(?:group(?:ed|ing|s)?|stack(?:ed|ing)?|colou?r(?:ed)?|split|broken down|segment(?:ed)?)\s+"
        r"(?:by|with|on|into)?\s*(?:the\s+)?(?:attribute\s+|attributes\s+|field\s+|column\s+|different\s+)?@(\d+)",
    )
    if group_ref in r.in_condition:
        group_ref = None
    plain, sorted_refs = without_sort(t)  # a sort clause ("by the names") places no axis
    over_ref = _first_ref(
        plain,
        r"\bbased on\s+(?:the\s+)?@(\d+)",  # "a vs b based on c": c is the x axis
        r"\b(?:over|versus|vs|against|across|per|for each|of each|in each|from each|for different|from different|by|for every)\s+(?:the\s+|each\s+|different\s+|all\s+|their\s+|(?:kinds?|types?|sorts?) of\s+)*@(\d+)",
        r"\b(?:each|every)\s+(?:(?:kinds?|types?|sorts?) of\s+)?@(\d+)",  # "played each position"
    )
    if over_ref in r.in_condition or over_ref == group_ref:
        over_ref = None
    entity = entity_refs(text, table, ms)
    weak = sorted_refs & set(roles)  # named to sort: x only if nothing else is
    distinct = list(dict.fromkeys(r.cols[k].name for k in roles))
    col_of = {r.cols[k].name: r.cols[k] for k in roles}

    def first(pred: object) -> int | None:
        return next((k for k in roles if pred(k)), None)  # type: ignore[operator]

    # x axis
    xk = x_ref
    labelled: int | None = None  # x is the label of the rows the request names
    if xk is None and group_ref is not None and over_ref is not None and aggs.get(over_ref) == "none":
        xk = over_ref  # "the number of a for each b, grouped by c": b on x, c the series
    if xk is None and group_ref is not None:
        others = {r.cols[k].name for k in roles if r.cols[k].name != r.cols[group_ref].name}
        if (
            len(others) < 2
            and not (series and len(others) == 1)
            and not (mark == "scatter" and len(others) == 1)
        ):
            xk = group_ref
    if xk is None and over_ref is not None and aggs.get(over_ref) == "none":
        xk = over_ref
    if xk is None:
        xk = counted_first(roles, aggs, weak, entity)
    if (
        xk is None
        and x_ref is None
        and group_ref is None
        and (label := row_label(text, table, r.cols, roles, aggs))
    ):
        r.cols.append(label)  # "the budget of each department": one bar per row, named by its label
        roles.append(len(r.cols) - 1)
        aggs[roles[-1]] = "none"
        xk = labelled = roles[-1]
    if xk is None:
        free = [k for k in roles if aggs[k] == "none" and k not in (group_ref, y_ref) and k not in weak]
        xk = category_first(free, r.cols) if mark in (None, "bar", "pie") else (free[0] if free else None)
    if xk is None:
        xk = first(lambda k: aggs[k] == "none" and k != group_ref and k != y_ref)
    if xk is None:
        xk = first(lambda k: aggs[k] == "count")
    if xk is None:
        return None
    x_col = r.cols[xk]
    # y axis
    guessed = False  # y fell back to a row count that no word asked for
    y_col: Col | None = None
    y_agg = "none"
    if y_ref is not None and r.cols[y_ref].name != x_col.name:
        y_col, y_agg = r.cols[y_ref], aggs.get(y_ref, "none")
    else:
        yk = first(
            lambda k: (
                aggs[k] != "none" and (aggs[k] != "count" or r.cols[k].name == x_col.name) and k != group_ref
            )
        )
        if yk is None:
            yk = first(lambda k: aggs[k] != "none" and k != group_ref)
        if yk is not None:
            y_col, y_agg = r.cols[yk], aggs[yk]
        elif COUNT_WORDS.search(plain) or (
            labelled is None
            and table_mentions(text, table)
            and re.search(r"\b(each|per|every)\b", t)
            and not any(
                aggs[k] == "none" and r.cols[k].numeric and r.cols[k].name != x_col.name for k in roles
            )
        ):  # "rides for each weather" counts them; "the id and weight of every pet" lists the weight
            y_col, y_agg = None, "count"
        else:
            yk = first(lambda k: aggs[k] == "none" and r.cols[k].name != x_col.name and k != group_ref)
            if yk is not None:
                y_col = r.cols[yk]
            else:  # "sort by the total number": a count only the sort clause names
                y_col, y_agg, guessed = None, "count", not COUNT_WORDS.search(t)
    # colour series
    color: Col | None = None
    used = {x_col.name} | ({y_col.name} if y_col is not None else set())
    if group_ref is not None and r.cols[group_ref].name not in used:
        color = r.cols[group_ref]
    elif series or mark in (None, "bar", "line", "scatter"):
        rest = [n for n in distinct if n not in used]
        trailing = _ref(
            plain, r"@\d+.*\b(?:by|for each|and each|and|per|across)\s+(?:the\s+|each\s+|different\s+)*@(\d+)"
        )
        if rest and (
            series
            or (trailing is not None and r.cols[trailing].name in rest and aggs.get(trailing) == "none")
        ):
            color = (
                col_of[rest[0]] if trailing is None or r.cols[trailing].name not in rest else r.cols[trailing]
            )
    if mark is None:
        mark = _default_mark(x_col, y_col, y_agg)
    if mark == "pie":
        color = None
    spec = ChartSpec(table, mark, Axis(x_col, "none", _bin(t, x_col, r)), Axis(y_col, y_agg), color,
                     explicit_mark=explicit)  # fmt: skip
    spec.guessed_measure = guessed
    spec.sort = _sort(t, spec, r)
    spec.limit = _limit(t)
    spec.filters, spec.conditions = read_conditions(t, r.cols, table)
    spans = [(toks[m.first].start, toks[m.last - 1].end) for m in ms]
    for f in value_mentions(text, table, spans):  # a value of the data named outside any condition
        left_out = any(f.values[0].lower() in c.lower() for c in spec.conditions)
        if not left_out and all(a.column.name != f.column.name for a in spec.filters):
            spec.filters.append(f)
    return spec


def _default_mark(x: Col, y: Col | None, y_agg: str) -> str:
    if y is not None and y_agg == "none" and x.numeric and y.numeric:
        return "scatter"
    return "bar"


def _bin(t: str, x: Col, r: _Read) -> str | None:
    if not x.temporal:
        return None
    plain = re.sub(r"@\d+", " ", t)
    plain = re.sub(r"\b(?:in|for|of|since|before|after|from|until|than)\s+(?:19|20)\d\d\b", " ", plain)
    for pattern, unit in BIN_WORDS:
        if unit == "day" and not re.search(
            r"\bbin\b|\binterval\b|\beach day\b|\bper day\b|\bby day\b|\bdaily\b", plain
        ):
            continue
        if re.search(pattern, plain):
            return unit
    return None


def _sort(t: str, spec: ChartSpec, r: _Read) -> tuple[str, str] | None:
    m = SORT.search(t)
    if not m:
        return None
    word = m.group(1) or m.group(2)
    order = (
        "desc"
        if re.search(r"desc|high to low|highest to lowest|decreasing|largest to smallest", word)
        else "asc"
    )
    clause = m.group(0)
    if "alphabet" in word:
        return ("x", "asc")
    if re.search(r"\bx\b|x ?axis", clause):
        return ("x", order)
    if re.search(r"\by\b|y ?axis|\b(number|count|total|amount|sum|average|value)\b", clause):
        return ("y", order)
    refs = [int(k) for k in re.findall(r"@(\d+)", clause)]
    if refs:
        name = r.cols[refs[-1]].name
        if (spec.x.column is not None and name == spec.x.column.name and spec.y.aggregate == "none") or (
            spec.x.column is not None and name == spec.x.column.name and spec.y.column is None
        ):
            return ("x", order)
        return ("y", order) if spec.y.column is not None and name == spec.y.column.name else ("x", order)
    return ("y", order)


def _limit(t: str) -> int | None:
    m = re.search(r"\b(?:top|first|bottom|last)\s+(\d{1,4})\b", t)
    return int(m.group(1)) if m else None
