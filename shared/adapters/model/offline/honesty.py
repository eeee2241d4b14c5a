"""Honest replies: each element of a request either shows in the saved dashboard or the reply says so.

:func:`coverage` compares the parsed request (:class:`~shared.adapters.model.offline.intent.Intent`:
measures, groupings, time grain, period, chart type, top N, sort words) with the typed dashboard
about to be saved, and returns a sentence for every element that is not in it: what was used
instead, or why it was left out. :attr:`Coverage.different_question` is set when none of the
groupings asked for is drawn while another one is (the dashboard would answer a different
question), so the planner asks instead of saving it.

The check is deliberately generous (a word counts as shown when it appears in a field, a title,
a query alias, a parameter or an SQL literal), so a right dashboard never gets a false excuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.adapters.model.offline.catalog_match import Catalog, Measure
from shared.adapters.model.offline.honesty_filters import Values, check_filters, clause_words
from shared.adapters.model.offline.intent import (
    GRAINS,
    SHARE_WORDS,
    STOP,
    VIEW_WORDS,
    Intent,
    MeasureAsk,
    normalize,
    singular,
)
from shared.adapters.model.offline.linking import FUNCTION_WORDS
from shared.adapters.model.offline.replies import dates
from shared.dashboards.model import (
    Dashboard,
    DateRangeParameter,
    FieldEncoding,
    KpiView,
    PieView,
    TableView,
    View,
)

SORT_WORDS = re.compile(
    r"\b(?P<asc>ascending|asc|low to high|lowest first|smallest first|alphabetical(?:ly)?|a to z)\b"
    r"|\b(?P<desc>descending|desc|high to low|highest first|largest first|z to a)\b"
)
MEASURE_ONLY = {"number", "count", "total", "sum", "average", "amount", "value", "how", "many"}
# words the intent parser may read as a measure that only modify one (new users, share of revenue)
MODIFIERS = {*MEASURE_ONLY, *SHARE_WORDS, "new", "share", "growth", "change", "trend", "distinct", "unique",
             "overall", "cumulative", "running", "monthly", "daily", "weekly", "yearly", "quarterly"}  # fmt: skip
# words a request's grouping phrase may carry that name no column: sort and chart words, axes
GROUP_NOISE = {
    "sorted", "sort", "ascending", "descending", "asc", "desc", "order", "top", "bottom", "chart", "graph",
    "each", "axis", "x", "y", "list", "listed", "rank", "ranked", "tendency", "trend", "distribution",
    "proportion", "comparison", "compare", "show", "low", "high", "please", "want", "bin", "interval",
    *VIEW_WORDS, *GRAINS, *(singular(w) for w in VIEW_WORDS), *(singular(w) for w in GRAINS),
}  # fmt: skip
# "the youngest person", "the most expensive product": a MIN/MAX or a ranking, not a missing measure
SUPERLATIVES = {"youngest", "oldest", "cheapest", "most", "least", "highest", "lowest", "biggest", "smallest",
                "largest", "latest", "earliest", "newest", "best", "worst", "top", "bottom", "first", "last"}  # fmt: skip
# how each kind of note starts (an edit's own notes may already give the reason)
NOTE_TOPICS = {"top": "I did not cut it to the top", "sort": "I did not sort it", "period": "I did not change the period",
               "chart": "I did not make it a"}  # fmt: skip
CHART_NAMES = {"bar": "bar chart", "line": "line chart", "area": "area chart", "pie": "pie chart",
               "scatter": "scatter plot", "heatmap": "heatmap", "table": "table", "kpi": "KPI"}  # fmt: skip


@dataclass
class Coverage:
    notes: list[str] = field(default_factory=list)
    different_question: bool = False
    missing_grouping: str | None = None


def _words(text: str) -> set[str]:
    return {singular(w) for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def _encodings(v: View) -> list[FieldEncoding]:
    found = [
        e for k in ("x", "y", "color", "theta", "value", "size")
        if isinstance(e := getattr(v, k, None), FieldEncoding)
    ]  # fmt: skip
    return found + (list(v.columns) if isinstance(v, TableView) else [])


def _groupings(v: View) -> list[FieldEncoding]:
    if isinstance(v, KpiView):
        return []
    if isinstance(v, PieView):
        return [v.color]
    if isinstance(v, TableView):
        return [c for c in v.columns if c.format not in ("currency", "number", "integer", "percent")]
    return [e for k in ("x", "color") if isinstance(e := getattr(v, k, None), FieldEncoding)]


def _shown(d: Dashboard) -> tuple[set[str], set[str], str]:
    """(words of every field and title, words of the grouping fields, all SQL and parameter text)."""
    every: set[str] = _words(d.title)
    grouped: set[str] = set()
    for v in d.views:
        every |= _words(v.title or "")
        for e in _encodings(v):
            every |= _words(f"{e.field} {e.title or ''}")
        for e in _groupings(v):
            grouped |= _words(f"{e.field} {e.title or ''}")
    text = " ".join(q.sql for q in d.queries.values()).lower()
    text += " " + " ".join(f"{p.name} {getattr(p, 'default', '')}" for p in d.parameters).lower()
    return every, grouped, text


def _table_words(catalog: Catalog) -> set[str]:
    out: set[str] = set()
    for t in catalog.tables.values():
        out |= _words(t.short)
    return out


def _column_words(catalog: Catalog) -> set[str]:
    return {w for t in catalog.tables.values() for c in t.columns for w in _words(c.name)}


def column_exists(catalog: Catalog, phrase: str) -> bool:
    """Whether every word of ``phrase`` names (part of) a column of some table."""
    return bool(phrase) and set(phrase.split()) <= _column_words(catalog)


def coverage(
    message: str,
    intent: Intent,
    dashboard: Dashboard,
    catalog: Catalog,
    *,
    values: Values | None = None,
    edit: bool = False,
    said: list[str] | None = None,
) -> Coverage:
    """What of ``message`` the dashboard does not show, as sentences for the reply.

    ``values``: this turn's value searches. ``edit``: ``message`` is a follow-up of a saved
    dashboard, so only what it changes is checked (chart type, filters, period, top N, sort): its
    other words name what to sort or filter by, not measures or groupings to add. ``said``: what
    the reply already says (an edit's notes), so a reason is not given twice."""
    out = Coverage()
    sql = _shown(dashboard)[2]
    _chart_type(intent, dashboard, out, edit)
    found = check_filters(message, intent.filter_words, dashboard, catalog, values)
    if not edit:
        _groupings_and_measures(intent, dashboard, catalog, out, found.value_words | found.condition_words)
    out.notes += found.notes
    _period(intent, dashboard, sql, catalog, out)
    _top_and_sort(message, intent, dashboard, out)
    told = " ".join(said or []).lower()
    topics = {"top": f"top {intent.top_n}", "sort": "order", "period": "period", "chart": "chart"}
    out.notes = [
        n for n in out.notes
        if not any(n.startswith(NOTE_TOPICS[k]) and v in told for k, v in topics.items())
    ]  # fmt: skip
    return out


def _groupings_and_measures(
    intent: Intent, dashboard: Dashboard, catalog: Catalog, out: Coverage, value_words: set[str]
) -> None:
    every, grouped, sql = _shown(dashboard)
    tables = _table_words(catalog)
    shown_any, missing = False, []
    for phrase in intent.dimensions:
        words = _words(phrase) - tables - GROUP_NOISE - MEASURE_ONLY - {singular(w) for w in STOP}
        words = {w for w in words if not w.isdigit() and len(w) > 1}
        if not words:
            continue
        if words & (grouped | every) or any(w in sql for w in words):
            shown_any = True
        else:
            missing.append(" ".join(sorted(words)))
    if intent.grain and not re.search(rf"\b{intent.grain}\b", sql) and intent.grain not in every:
        missing.append(intent.grain)
    if missing:
        drawn = sorted({e.title or e.field for v in dashboard.views for e in _groupings(v)})
        instead = f"; it shows {', '.join(d.lower() for d in drawn)} instead" if drawn else ""
        columns = _column_words(catalog)
        known = [m for m in missing if set(m.split()) <= columns or catalog.dimensions(m)]
        unknown = [m for m in missing if m not in known]
        if unknown:
            out.notes.append(
                "I found no column for “" + "”, “".join(unknown) + "” in these tables, so the dashboard "
                "is not split by it" + instead + "."
            )
        if known:
            out.notes.append("I could not split it by “" + "”, “".join(known) + "” as asked" + instead + ".")
        if not shown_any:
            out.different_question, out.missing_grouping = True, missing[0]
    for ask in intent.measures:
        if set(ask.phrase.split()) <= value_words:
            continue  # a value or a condition word: the filter checks name it
        if not _measure_shown(ask, every, sql, catalog):
            out.notes.append(f"I found no measure “{ask.phrase}” in these tables, so it is not shown.")


def _measure_shown(ask: MeasureAsk, every: set[str], sql: str, catalog: Catalog) -> bool:
    words = _words(ask.phrase) - MODIFIERS - {singular(w) for w in STOP} - GROUP_NOISE
    words = {w for w in words if w not in FUNCTION_WORDS and w + "s" not in FUNCTION_WORDS}  # "find", "sort"
    if not words or words & every or any(w in sql for w in words):
        return True
    options = catalog.measures(ask)
    return any(m.alias.lower() in sql or _words(m.label) & every for m in options[:3])


def _chart_type(intent: Intent, d: Dashboard, out: Coverage, edit: bool = False) -> None:
    asked = intent.view_type
    if asked is None or any(v.type == asked for v in d.views):
        return
    drawn: list[View] = [v for v in d.views if not isinstance(v, KpiView)] or list(d.views)
    used = CHART_NAMES.get(drawn[0].type, drawn[0].type)
    if edit:
        out.notes.append(
            f"I did not make it a {CHART_NAMES.get(asked, asked)}: it is still a {used}; ask for that change "
            f"on its own (“make it a {CHART_NAMES.get(asked, asked)}”)."
        )
        return
    x = getattr(drawn[0], "x", None)
    if asked == "pie" and isinstance(x, FieldEncoding) and x.type == "temporal":
        why = "a pie cannot show a time axis"
    elif asked in ("line", "area") and not (isinstance(x, FieldEncoding) and x.type == "temporal"):
        why = "there is no time axis to draw it along"
    else:
        why = f"a {used} fits this data"
    out.notes.append(f"You asked for a {CHART_NAMES.get(asked, asked)}; I drew a {used} because {why}.")


def _temporal(x: object) -> bool:
    return isinstance(x, FieldEncoding) and x.type == "temporal"


def _period(intent: Intent, d: Dashboard, sql: str, catalog: Catalog, out: Coverage) -> None:
    if intent.period is None:
        return
    ranges = [p for p in d.parameters if isinstance(p, DateRangeParameter)]
    if ranges and all(p.default.start != intent.period.start for p in ranges):
        held = ", ".join(dates(p.default.start, p.default.end) for p in ranges)
        out.notes.append(f"I did not change the period to {intent.period.label}: it still covers {held}.")
        return
    if "@period" in sql or intent.period.start.lower() in sql or intent.period.start[:4] in sql:
        return
    if any(getattr(p, "type", "") in ("date", "date_range") for p in d.parameters):
        return
    dated = [t for t in catalog.tables.values() if t.name.lower() in sql and t.time_column]
    why = "its queries cover every date" if dated else "no table of this dashboard has a date column"
    out.notes.append(f"I did not limit it to {intent.period.label}: {why}.")


def _top_and_sort(message: str, intent: Intent, d: Dashboard, out: Coverage) -> None:
    views = [v for v in d.views if not isinstance(v, KpiView)]
    sql = " ".join(q.sql for q in d.queries.values()).upper()
    cut = any(getattr(v, "top_n", None) == intent.top_n for v in views) or f"LIMIT {intent.top_n}" in sql
    if intent.top_n and views and not cut:
        out.notes.append(f"I did not cut it to the top {intent.top_n}: the chart shows every row.")
    m = SORT_WORDS.search(normalize(message))
    if m is None or not views:
        return
    order = "ASC" if m.group("asc") else "DESC"
    sorted_views = [getattr(v, "sort", None) for v in views]
    if any(s is not None and (s.order or "asc").upper() == order for s in sorted_views):
        return
    if re.search(rf"ORDER BY [^)]*\b{order}\b", sql) or (order == "ASC" and "ORDER BY" in sql):
        return
    time_axis = any(_temporal(getattr(v, "x", None)) for v in views)
    why = "a time axis stays in time order" if time_axis else "the chart keeps its own order"
    out.notes.append(f"I did not sort it {'ascending' if order == 'ASC' else 'descending'}: {why}.")


def uncounted(text: str, unknown: list[str], catalog: Catalog, counted: Measure) -> str | None:
    """The word of a compound measure ("customer lifetime value", "active users") that nothing in
    the catalog holds, when the planner would count the entity instead: an unplaced word right next
    to the counted table's noun. Words of table or column names, modifiers ("new users"), function
    words and condition clauses are not such words."""
    reachable = [catalog.table(t) for t in catalog.reachable(counted.table)]
    skip = FUNCTION_WORDS | MODIFIERS | SUPERLATIVES | clause_words(text, reachable)
    skip |= {
        singular(w)
        for t in reachable
        for n in (t.short, *(c.name for c in t.columns))
        for w in n.lower().split("_")
    }
    table = catalog.table(counted.table)
    nouns = {
        singular(w) for w in f"{table.short} {table.entity} {counted.label}".lower().replace("_", " ").split()
    }
    toks = [singular(w) for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
    for w in unknown:
        if w in skip or singular(w) in skip:
            continue
        at = [i for i, t in enumerate(toks) if t == singular(w)]
        if any((i > 0 and toks[i - 1] in nouns) or (i + 1 < len(toks) and toks[i + 1] in nouns) for i in at):
            return w
    return None
