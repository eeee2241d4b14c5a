"""Read a chat message into an :class:`Intent`: measures, dimensions, time grain, period, filters, view.

Parsing is word-based and schema-free; :mod:`shared.adapters.model.offline.catalog_match` later maps the words
onto tables and columns of whatever catalog the connection has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

GRAINS = {
    "daily": "day", "day": "day", "days": "day",
    "weekly": "week", "week": "week", "weeks": "week",
    "monthly": "month", "month": "month", "months": "month",
    "quarterly": "quarter", "quarter": "quarter", "quarters": "quarter",
    "yearly": "year", "annual": "year", "annually": "year", "year": "year", "years": "year",
}  # fmt: skip
TREND_WORDS = ("trend", "over time", "timeline", "evolution", "history", "growth", "time series")
VIEW_WORDS = {
    "pie": "pie", "donut": "pie", "doughnut": "pie",
    "bar": "bar", "bars": "bar", "column chart": "bar", "histogram": "bar",
    "line": "line", "lines": "line",
    "area": "area",
    "table": "table", "list": "table", "grid": "table",
    "kpi": "kpi", "kpis": "kpi", "single number": "kpi", "big number": "kpi", "headline number": "kpi",
    "scatter": "scatter", "heatmap": "heatmap", "heat map": "heatmap",
}  # fmt: skip
AGG_WORDS = {
    "average": "avg", "avg": "avg", "mean": "avg",
    "total": "sum", "sum of": "sum", "sum": "sum",
    "number of": "count", "count of": "count", "how many": "count", "# of": "count",
    "distinct": "count_distinct", "unique": "count_distinct",
    "maximum": "max", "max": "max", "highest": "max", "minimum": "min", "min": "min", "lowest": "min",
    "median": "median",
}  # fmt: skip
SHARE_WORDS = ("share", "split", "mix", "breakdown", "proportion", "distribution of", "part of", "percentage")
DIM_MARKERS = ("broken down by", "split by", "grouped by", "for each", "by", "per", "across", "vs")
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20}  # fmt: skip
STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "in",
        "on",
        "at",
        "to",
        "and",
        "or",
        "with",
        "from",
        "by",
        "per",
        "me",
        "my",
        "our",
        "us",
        "show",
        "give",
        "build",
        "create",
        "make",
        "i",
        "want",
        "need",
        "would",
        "like",
        "please",
        "can",
        "you",
        "could",
        "dashboard",
        "chart",
        "charts",
        "graph",
        "view",
        "views",
        "see",
        "plot",
        "display",
        "what",
        "is",
        "are",
        "was",
        "were",
        "how",
        "much",
        "many",
        "each",
        "every",
        "all",
        "over",
        "across",
        "into",
        "as",
        "vs",
        "versus",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "be",
        "only",
        "just",
        "some",
        "data",
        "report",
        "top",
        "last",
        "past",
        "next",
        "since",
        "between",
        "this",
        "year",
        "month",
        "week",
        "day",
        "quarter",
        "also",
        "then",
        "than",
        "trend",
        "time",
        "timeline",
        "overview",
        "summary",
        "which",
        "have",
        "has",
        "had",
    ]
)
GENERIC = frozenset(
    [
        "breakdown",
        "split",
        "mix",
        "distribution",
        "overview",
        "summary",
        "stats",
        "statistics",
        "metrics",
        "numbers",
        "performance",
        "analysis",
        "insights",
        "kpi",
        "kpis",
        "figures",
    ]
)  # words that name no measure
GREETINGS = frozenset(
    ["hi", "hello", "hey", "thanks", "thank", "yo", "hola", "morning", "evening", "afternoon", "ok", "okay"]
)
EDIT_PATTERN = re.compile(
    r"\b(make|turn|change|switch|convert|add|also|include|remove|delete|drop|hide|get rid of|only|just|"
    r"instead|rename|call it|theme|restrict|limit it|limit to|filter|exclude|swap|replace|sort|order by|"
    r"sort by|rank|(?:top|bottom) \d+|(?:last|past|previous) \d+ (?:days?|weeks?|months?|years?))\b"
    r"|\b(show|display|draw|render)\b.*\bas (a|an)\b"
)


@dataclass(frozen=True)
class Period:
    """A date range as dashboard date defaults (``YYYY-MM-DD`` or ``today-12m``)."""

    start: str
    end: str
    label: str


@dataclass(frozen=True)
class MeasureAsk:
    """A measure in the user's words: ``phrase`` ("revenue", "orders") with an aggregate hint."""

    phrase: str
    aggregate: str | None = None  # sum, avg, count, count_distinct, min, max, median


@dataclass
class Intent:
    text: str
    measures: list[MeasureAsk] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    grain: str | None = None
    period: Period | None = None
    view_type: str | None = None
    top_n: int | None = None
    share: bool = False
    filter_words: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # content words left for catalog matching
    order: str | None = None  # "asc" | "desc": how a ranking question orders its groups
    years: list[int] = field(default_factory=list)  # a period comparison: one series per year


def normalize(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^a-z0-9#&'\- ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def singular(word: str) -> str:
    """A rough English singular: categories → category, sales → sale, statuses → status."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "uses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def parse_period(text: str, today: date | None = None) -> Period | None:
    """The date range a message names: years, 'last N months', 'this year', 'since 2022' ..."""
    t = normalize(text)
    today = today or date.today()
    m = re.search(r"\b(?:between|from)\s+((?:19|20)\d\d)\s+(?:and|to|-)\s+((?:19|20)\d\d)\b", t)
    if m:
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        return Period(f"{a}-01-01", f"{b}-12-31", f"{a} to {b}")
    m = re.search(r"\bsince\s+((?:19|20)\d\d)\b", t)
    if m:
        return Period(f"{m.group(1)}-01-01", "today", f"since {m.group(1)}")
    m = re.search(
        r"\b(?:last|past|previous|recent)\s+(\d+|"
        + "|".join(NUMBERS)
        + r")\s+(day|week|month|quarter|year)s?\b",
        t,
    )
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else NUMBERS[m.group(1)]
        unit = m.group(2)
        code, count = {
            "day": ("d", n),
            "week": ("w", n),
            "month": ("m", n),
            "quarter": ("m", 3 * n),
            "year": ("y", n),
        }[unit]
        return Period(f"today-{count}{code}", "today", f"last {n} {unit}{'s' if n != 1 else ''}")
    m = re.search(r"\b(?:last|past|previous)\s+(day|week|month|quarter|year)\b", t)
    if m:
        unit = m.group(1)
        code = {"day": "1d", "week": "7d", "month": "1m", "quarter": "3m", "year": "12m"}[unit]
        label = "last 12 months" if unit == "year" else f"last {unit}"
        return Period(f"today-{code}", "today", label)
    if re.search(r"\b(this year|year to date|ytd)\b", t):
        return Period(f"{today.year}-01-01", "today", f"{today.year} to date")
    years = re.findall(r"\b((?:19|20)\d\d)\b", t)
    if years:
        y = years[-1]
        return Period(f"{y}-01-01", f"{y}-12-31", y)
    return None


def _view_type(t: str) -> str | None:
    found: tuple[int, str] | None = None
    for word, kind in VIEW_WORDS.items():
        for m in re.finditer(rf"\b{re.escape(word)}\b", t):
            if word in ("list", "table") and re.search(rf"\b(which|what)\s+{word}\b", t):
                continue
            if found is None or m.start() >= found[0]:
                found = (m.start(), kind)
    return found[1] if found else None


def _top_n(t: str) -> int | None:
    m = re.search(
        r"\b(?:top|best|biggest|largest|first|bottom|worst)\s+(\d+|" + "|".join(NUMBERS) + r")\b", t
    )
    if m:
        return int(m.group(1)) if m.group(1).isdigit() else NUMBERS[m.group(1)]
    if re.search(r"\b(top|best[- ]selling|most popular|biggest|largest)\b", t):
        return 10
    return None


def _grain(t: str) -> str | None:
    for pattern, grain in (
        (r"\b(daily|per day|by day|each day|day by day|by date|per date)\b", "day"),
        (r"\b(weekly|per week|by week|each week|week over week)\b", "week"),
        (r"\b(monthly|per month|by month|each month|month over month|mom)\b", "month"),
        (r"\b(quarterly|per quarter|by quarter|each quarter)\b", "quarter"),
        (r"\b(yearly|annual|annually|per year|by year|each year|year over year|yoy)\b", "year"),
    ):
        if re.search(pattern, t):
            return grain
    if any(re.search(rf"\b{w}\b", t) for w in TREND_WORDS):
        return "month"
    return None


def _strip_periods(t: str) -> str:
    t = re.sub(r"\b(?:between|from)\s+(?:19|20)\d\d\s+(?:and|to|-)\s+(?:19|20)\d\d\b", " ", t)
    t = re.sub(r"\b(?:in|for|during|since|of|only|just)?\s*(?:19|20)\d\d\b", " ", t)
    t = re.sub(
        r"\b(?:for|in|over|during)?\s*(?:the\s+)?(?:last|past|previous|recent)\s+(?:\d+\s+|(?:"
        + "|".join(NUMBERS)
        + r")\s+)?(?:day|week|month|quarter|year)s?\b",
        " ",
        t,
    )
    return re.sub(r"\b(this year|year to date|ytd)\b", " ", t)


def _dimension_phrases(t: str) -> list[str]:
    """Phrases after 'by', 'per', 'for each' ... up to the next marker or stop word."""
    found: list[str] = []
    # a lookahead, so "by month by country" yields both phrases
    pattern = (
        r"\b(?:broken down by|split by|grouped by|for each|by|per|across|vs|versus)\s+(?=([a-z0-9_' \-]+))"
    )
    for m in re.finditer(pattern, t):
        chunk = re.split(
            r"\b(?:by|per|for|in|from|with|as|and then|where|during|over|since|between|only|excluding|"
            r"using|on|a|an|chart|graph|table|pie|bar|line|area)\b",
            m.group(1),
        )[0]
        for part in re.split(r"\band\b|,|&", chunk):
            words = [w for w in part.split() if w not in STOP]
            if words:
                found.append(" ".join(words[:3]))
    return list(dict.fromkeys(found))


RANKING = re.compile(
    r"\b(?:which|what)\s+([a-z_]+(?:\s[a-z_]+)?)\s+(?:has|have|had|get|gets|got|show|shows|bring|brings|make|makes)"
    r"\s+(?:the\s+)?(highest|lowest|most|fewest|least|biggest|largest|smallest|best|worst|top)\b"
)
COMPARE = re.compile(
    r"\b((?:19|20)\d\d)\s*(?:,\s*(?:19|20)\d\d\s*)*(?:and|vs\.?|versus|against|compared (?:to|with)|with|to)\s+((?:19|20)\d\d)\b"
)


def compare_years(t: str) -> list[int]:
    """The years a period comparison names ("compare 2023 and 2024", "2023 vs 2024"); not ranges."""
    m = COMPARE.search(t)
    if not m or re.search(r"\b(?:between|from)\s+$", t[: m.start()]):
        return []
    if not re.search(
        r"\b(?:compare|compared|comparing|comparison|vs|versus|against)\b", t
    ) and " and " not in m.group(0):
        return []
    years = sorted({int(y) for y in re.findall(r"(?:19|20)\d\d", m.group(0))})
    return years if len(years) >= 2 else []


def parse(text: str, today: date | None = None) -> Intent:
    """The intent of one request."""
    t = normalize(text)
    intent = Intent(text=text)
    intent.period = parse_period(text, today)
    intent.years = compare_years(t)
    if intent.years:
        first, last = intent.years[0], intent.years[-1]
        label = " vs ".join(str(y) for y in intent.years)
        intent.period = Period(f"{first}-01-01", f"{last}-12-31", label)
    intent.view_type = _view_type(t)
    intent.top_n = _top_n(t)
    intent.grain = _grain(t)
    intent.share = any(re.search(rf"\b{w}\b", t) for w in SHARE_WORDS) or intent.view_type == "pie"
    body = _strip_periods(t)
    if intent.years:  # "2023 vs 2024 orders": the years are compared, "vs" groups nothing
        body = re.sub(r"\b(?:compare|comparing|vs|versus|against|compared (?:to|with))\b", " ", body)
    rank = RANKING.search(body)
    if rank:  # "which products have the highest return rate": products ranked by the measure
        intent.order = (
            "asc" if rank.group(2) in ("lowest", "fewest", "least", "smallest", "worst") else "desc"
        )
        intent.top_n = intent.top_n or 10
        body = body[: rank.start(2)] + " " + body[rank.end(2) :]
    dims = [d for d in _dimension_phrases(body) if d not in GRAINS and d.rstrip("s") not in GRAINS]
    if rank and not dims:
        dims = [" ".join(w for w in rank.group(1).split() if w not in STOP)]
    m = re.search(
        r"\b(?:top|best|biggest|largest|bottom|worst|most popular|best[- ]selling)\s+(?:\d+\s+|"
        + "|".join(NUMBERS)
        + r"\s+)?([a-z_]+(?:\s[a-z_]+)?)",
        body,
    )
    top_dim = None
    if m:
        words = [w for w in m.group(1).split() if w not in STOP and w not in ("by", "per")]
        if words and words[0] not in ("by",):
            top_dim = words[0] if len(words) == 1 or words[1] in STOP else " ".join(words[:2])
            top_dim = top_dim.split(" by ")[0]
    if top_dim:
        # "top 10 products by revenue": products is the dimension, revenue the measure
        measure_after_by = [d for d in dims]
        intent.dimensions = [top_dim]
        for phrase in measure_after_by:
            intent.measures.append(MeasureAsk(phrase))
    else:
        intent.dimensions = dims
    intent.measures = _measures(body, intent) + intent.measures
    seen: set[str] = set()
    intent.measures = [m2 for m2 in intent.measures if not (m2.phrase in seen or seen.add(m2.phrase))]  # type: ignore[func-returns-value]
    intent.filter_words = _filter_words(text, intent)
    intent.words = [w for w in body.split() if w not in STOP and not w.isdigit()]
    return intent


def _measures(body: str, intent: Intent) -> list[MeasureAsk]:
    """Measure phrases: 'average order value', 'number of orders', 'revenue', 'distinct customers'."""
    dims = set(intent.dimensions)
    text = body
    for d in dims:
        text = re.sub(
            rf"\b(?:by|per|for each|across|split by|grouped by|broken down by)\s+{re.escape(d)}\b", " ", text
        )
    found: list[MeasureAsk] = []
    for word, agg in sorted(AGG_WORDS.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"(?:^|\s){re.escape(word)}\s+([a-z_]+(?:\s[a-z_]+)?)", text):
            words = [w for w in m.group(1).split() if w not in STOP]
            if words:
                found.append(MeasureAsk(" ".join(words[:2]), agg))
                text = text.replace(m.group(0), " ")
    for m in re.finditer(r"\b([a-z_]+)\s+count\b", text):
        if m.group(1) not in STOP:
            found.append(MeasureAsk(m.group(1), "count"))
            text = text.replace(m.group(0), " ")
    words = [w for w in text.split() if w not in STOP and w not in GRAINS and w not in VIEW_WORDS]
    dim_words = {w for d in dims if " " in d for w in d.split()}  # "product categories": no "product" measure
    for w in words:
        if (
            w in dims
            or w in dim_words
            or w in AGG_WORDS
            or w in GENERIC
            or len(w) < 3
            or w in ("chart", "graph")
        ):
            continue
        found.append(MeasureAsk(w))
    return found


def _filter_words(text: str, intent: Intent) -> list[str]:
    """Words that may be data values: capitalised words and words after 'in/from/for/with/only'."""
    out: list[str] = []
    tokens = re.findall(r"[A-Za-z][A-Za-z'\-]+", text)
    for i, tok in enumerate(tokens):
        low = tok.lower()
        if low in STOP or low in GREETINGS or low in VIEW_WORDS or low in GRAINS or low in AGG_WORDS:
            continue
        prev = tokens[i - 1].lower() if i else ""
        if tok[0].isupper() or prev in ("in", "from", "only", "with", "status", "excluding", "for", "just"):
            out.append(low)
    return list(dict.fromkeys(out))


def is_edit(text: str) -> bool:
    """Whether a message reads as a change to an existing dashboard."""
    return bool(EDIT_PATTERN.search(normalize(text)))


def is_greeting(text: str) -> bool:
    words = normalize(text).split()
    return bool(words) and all(w in GREETINGS or w in STOP for w in words)
