"""Design a dashboard from an intent and a catalog: pick the base table, queries and views.

:func:`resolve` chooses where the measures live and how dimensions are reached;
:func:`design` turns that into queries, parameters and views (a KPI row on top when sensible,
chart types from :mod:`shared.dashboards.chart_rules`, currency formats for money).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from shared.adapters.model.offline.catalog_match import Catalog, Dimension, Measure, TableSchema
from shared.adapters.model.offline.compare import (
    by_year_view,
    series_by_year,
    series_over_year,
    value_series,
    year_measures,
)
from shared.adapters.model.offline.conversation import Values
from shared.adapters.model.offline.derived import (
    applies,
    derived_asks,
    rate_lookups,
    resolve_derived,
    share_of_total,
)
from shared.adapters.model.offline.intent import GREETINGS, STOP, Intent, MeasureAsk, Period, singular
from shared.adapters.model.offline.sql_build import (
    PERIOD_PARAM,
    ConditionFilter,
    QuerySpec,
    ValueFilter,
    build_sql,
)
from shared.adapters.model.offline.value_filters import filter_candidates as filter_candidates
from shared.adapters.model.offline.value_filters import lookups_needed as lookups_needed
from shared.adapters.model.offline.value_filters import match_filters as match_filters
from shared.adapters.model.offline.value_filters import matched_words as matched_words
from shared.adapters.model.offline.views import category_view, time_view, value_encoding, y_encoding
from shared.adapters.model.offline.where import request_conditions
from shared.dashboards.chart_rules import recommend_view
from shared.dashboards.model import Dashboard, DateParameter, DateRangeParameter, NumberParameter

COMPUTED = "Computed from the catalog: "  # the description's note on derived measures
HOP_PENALTY = 1.5
UNREACHABLE = -20.0
TABLE_HINT = 3.0  # a measure word naming the table ("inventory cost", "invoice amount")
MAX_KPIS = 3
MAX_VIEWS = 6
MAX_DIMS = 2
GROUPED = re.compile(r"\b(?:grouped|clustered)\s+(?:bar|column)|\bside[- ]by[- ]side\b")  # not "grouped by"
SERIES = re.compile(  # "by month by country", "split by plan": one view with a series per value
    r"\b(?:by|per)\s+\w+(?:\s+\w+)?\s+(?:by|per|and by)\s+\w+|\b(?:split|colou?red|stacked|grouped|segmented|broken down)\s+by\b"
)
DEFAULT_PERIOD = Period("today-12m", "today", "last 12 months")  # added when a scan needs pruning


@dataclass
class Resolution:
    base: str
    measures: list[Measure]
    dims: list[Dimension]
    extra: list[Measure] = field(default_factory=list)  # measures of other tables (KPIs only)
    grain: str | None = None
    used_words: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)  # measure words nothing in the catalog matched
    default_measure: bool = False  # no measure was named: rows of the dimension's table are counted
    modifiers: list[str] = field(default_factory=list)  # other words of matched measure phrases
    derived: bool = False  # the main measure is derived (a ratio or a rate)
    pending: list[tuple[str, str, str]] = field(default_factory=list)  # value searches a rate waits for


@dataclass
class Draft:
    """A designed dashboard: the dict to render plus the query specs behind its SQL."""

    title: str
    dashboard: dict[str, Any]
    specs: dict[str, QuerySpec]
    params: dict[str, list[dict[str, Any]]]  # query name -> dry-run params
    summary: list[str]


def _dim_words(phrase: str) -> set[str]:
    return {singular(w) for w in phrase.split()} | set(phrase.split())


def resolve(
    intent: Intent,
    catalog: Catalog,
    skip_words: set[str] = frozenset(),  # type: ignore[assignment]
    values: Values | None = None,
) -> Resolution | None:
    """Where the request's measures live and how its dimensions join on; None when nothing matched.

    ``values`` are the column values looked up so far (a rate's value word is searched first)."""
    asks = [a for a in intent.measures if a.phrase not in skip_words and a.phrase not in GREETINGS]
    asks = [a for a in asks if a.phrase not in intent.dimensions]
    team_metric = bool(catalog.terms) and any(h.kind == "metric" for h in catalog.terms.hits(intent.text))  # type: ignore[union-attr]
    wanted = [] if team_metric else derived_asks(intent.text)  # a team's definition comes first
    wanted = [d for d in wanted if d.kind != "share" and applies(d, catalog)]
    covered = {w for d in wanted for w in d.phrase.split()} | {singular(d.entity) for d in wanted if d.entity}
    asks = [
        a
        for a in asks
        if not ({singular(w) for w in a.phrase.split()} & covered or set(a.phrase.split()) & covered)
    ]
    pending = [k for k in rate_lookups(wanted, catalog) if k not in (values or {})]
    derived = [] if pending else [m for d in wanted[:1] for m in resolve_derived(d, catalog, values)]
    dim_phrases = [d for d in intent.dimensions if d not in skip_words][:MAX_DIMS]
    dim_options = {p: catalog.dimensions(p) for p in dim_phrases}
    dim_options = {p: opts for p, opts in dim_options.items() if opts}
    all_options = [(a, catalog.measures(a)) for a in asks]
    measure_options = [(a, opts) for a, opts in all_options if opts]
    unresolved = [w for a, opts in all_options if not opts for w in a.phrase.split() if len(w) > 2]
    if wanted and not derived and not pending:  # a ratio or rate the catalog cannot compute
        unresolved += [w for w in wanted[0].phrase.split() if w not in STOP and w not in ("average", "rate")]
    if derived:
        measure_options.insert(0, (MeasureAsk(wanted[0].phrase), derived))
    elif pending and not measure_options and not dim_options:
        t = catalog.table(pending[0][1])
        measure_options = [(MeasureAsk(wanted[0].phrase), [_count_rows(t)])]  # until the values are known
    modifiers = [  # "paid" in "paid invoices": a word of a measure phrase its match did not use
        w
        for a, opts in all_options
        if opts and len(a.phrase.split()) > 1
        for w in a.phrase.split()
        if len(w) > 2 and singular(w) not in _measure_words(opts[0], catalog)
    ]
    if not measure_options and not dim_options:
        return None
    if measure_options:
        primary = measure_options[0][1][:12]
    else:
        first = next(iter(dim_options.values()))[0]
        primary = [_count_rows(catalog.table(first.table))]
    hints = {singular(w) for a in asks for w in a.phrase.split()}
    best: tuple[float, Measure, list[Dimension]] | None = None
    for cand in primary:
        table_words = {singular(w) for w in catalog.table(cand.table).short.lower().split("_")}
        score = cand.score + (TABLE_HINT if hints & table_words else 0.0)
        dims: list[Dimension] = []
        for opts in dim_options.values():
            reachable = [
                (d.score - HOP_PENALTY * len(path), d)
                for d in opts
                if (path := catalog.path(cand.table, d.table)) is not None
            ]
            if reachable:
                s, d = max(reachable, key=lambda x: x[0])
                score += s
                dims.append(d)
            else:
                score += UNREACHABLE
        if intent.grain and catalog.table(cand.table).time_column is None:
            score -= 5
        if best is None or score > best[0]:
            best = (score, cand, dims)
    assert best is not None
    _, main, dims = best
    measures: list[Measure] = [main]
    extra: list[Measure] = []
    for _ask, choices in measure_options[1:]:
        same = [m for m in choices if m.table == main.table]
        pick = same[0] if same else choices[0]
        if pick.alias in {m.alias for m in measures + extra}:
            continue
        (measures if same else extra).append(pick)
    base = catalog.table(main.table)
    grain = intent.grain if base.time_column else None
    used = {w for a, _ in measure_options for w in a.phrase.split()} | {
        w for p in dim_options for w in _dim_words(p)
    }
    seen_alias: set[str] = set()
    unique_dims = []
    for d in dims:
        if d.alias not in seen_alias and d.alias not in {m.alias for m in measures}:
            unique_dims.append(d)
            seen_alias.add(d.alias)
    return Resolution(
        main.table,
        measures,
        unique_dims,
        extra,
        grain,
        used - set(modifiers),
        unresolved,
        default_measure=not measure_options,
        modifiers=modifiers,
        derived=main.kind == "derived",
        pending=pending,
    )


def _count_rows(t: TableSchema) -> Measure:
    label = t.short.replace("_", " ").capitalize()
    return Measure(t.name, "count_rows", None, _plural_alias(t.entity), label, "integer", 1, 1.0)


def _measure_words(m: Measure, catalog: Catalog) -> set[str]:
    table = catalog.table(m.table)
    words = {singular(w) for w in (m.column or "").lower().split("_")} | {singular(m.alias)}
    return words | set(table.entity.split("_")) | {singular(w) for w in m.label.lower().split()}


def _plural_alias(entity: str) -> str:
    name = entity if entity.endswith("s") else entity + "s"
    return re.sub(r"[^a-z0-9_]", "_", name)


def design(
    intent: Intent,
    res: Resolution,
    catalog: Catalog,
    filters: list[ValueFilter],
    *,
    force_period: bool = False,
    resolve_date: Any = None,
) -> Draft:
    """Queries, parameters and views for a resolved request."""
    base = catalog.table(res.base)
    period = intent.period or (DEFAULT_PERIOD if force_period else None)
    use_period = period is not None and base.time_column is not None
    years = intent.years if base.time_column else []
    conds = tuple(request_conditions(intent.text, catalog, res.base))
    common = {"period": use_period, "filters": tuple(filters), "years": tuple(years), "conditions": conds}
    specs: dict[str, QuerySpec] = {}
    views: list[dict[str, Any]] = []
    summary: list[str] = []
    measures = res.measures
    main_label = " and ".join(m.label.lower() for m in measures[:2])

    def add(spec: QuerySpec) -> str:
        specs[spec.name] = spec
        return spec.name

    yearly = year_measures(measures[0], years, base.time_column or "") if years else []
    totals = add(QuerySpec("totals", res.base, tuple(yearly or measures), **common))  # type: ignore[arg-type]
    kpi_measures = [(totals, m) for m in yearly or measures]
    for i, m in enumerate(res.extra):
        extra_base = catalog.table(m.table)
        q = add(
            QuerySpec(
                f"totals_{i + 2}", m.table, (m,), period=use_period and extra_base.time_column is not None
            )
        )
        kpi_measures.append((q, m))
    charts = 0
    series = res.dims[0] if res.grain and len(res.dims) == 1 and SERIES.search(intent.text.lower()) else None
    over_year = bool(years) and res.grain not in (None, "year")  # "2023 vs 2024 by month": a line per year
    series = None if over_year else series
    split = None if years or series else value_series(filters, res.dims)  # "Jeans vs Hats": a series each
    series = split if split is not None and res.grain else series
    groupings = res.dims or ([split] if split is not None and not res.grain else [])
    if res.grain:
        dims = (series,) if series else ()
        q = add(QuerySpec(f"by_{res.grain}", res.base, tuple(measures), dims=dims, grain=res.grain, **common))  # type: ignore[arg-type]
        specs[q] = replace(specs[q], year_series=over_year)
        wanted = intent.view_type if intent.view_type in ("line", "area", "bar", "table") else None
        if intent.view_type == "pie" and res.dims:
            wanted = None
        kind = recommend_view(time_axis=True, requested=wanted).type
        for m in measures[: 1 if series or over_year else 2]:
            view = time_view(q, res.grain, m, kind, series, bool(GROUPED.search(intent.text.lower())))
            views.append(series_over_year(view, res.grain) if over_year else view)
            charts += 1
        summary.append(f"a {kind} of {main_label} by {res.grain} (a time axis reads best as a trend)")
    for d in groupings if series is None or series is split else []:
        q = add(QuerySpec(f"by_{d.alias}", res.base, tuple(measures), dims=(d,), **common))  # type: ignore[arg-type]
        wanted = intent.view_type if intent.view_type not in (None, "kpi") else None
        if res.grain and wanted in ("line", "area"):
            wanted = None
        rec = recommend_view(part_of_whole=intent.share, categories=None, requested=wanted)
        kind = rec.type if rec.type not in ("line", "area", "scatter", "heatmap") else "bar"
        if intent.share and wanted is None:
            kind = "pie"
        if kind in ("bar", "table") and any(a.kind == "share" for a in derived_asks(intent.text)):
            shares = [share_of_total(m) for m in measures]  # "percentage of revenue by category"
            specs[q] = replace(specs[q], measures=tuple(shares))
            view = category_view(q, d, shares, kind, intent.top_n or 10, intent.order or "desc")
            views.append(view)
            charts += 1
            summary.append(f"a {kind} of each {d.label.lower()}'s share of the total")
            continue
        top_n = intent.top_n or (6 if kind == "pie" else 10)
        view = category_view(q, d, measures, kind, top_n, intent.order or "desc")
        if years:
            specs[q] = replace(specs[q], year_series=True)
            view = series_by_year(view)
        elif split is not None and d is not split:
            specs[q] = replace(specs[q], dims=(d, split))
            view = series_by_year(view, split)
        views.append(view)
        charts += 1
        why = (
            "share of a whole with few slices"
            if kind == "pie"
            else ("exact values to read" if kind == "table" else "categories compared side by side")
        )
        summary.append(f"a {kind} of {main_label} by {d.label.lower()} (top {top_n}; {why})")
    if years and not charts:
        q = add(QuerySpec("by_year", res.base, tuple(measures[:1]), year_series=True, **common))  # type: ignore[arg-type]
        views.append(by_year_view(q, measures[0], y_encoding(measures[0])))
        charts += 1
        summary.append(f"a bar of {main_label} for each of {', '.join(map(str, years))}")
    kpis = [
        {
            "id": f"kpi_{m.alias}",
            "type": "kpi",
            "title": m.label if m.kind != "count_rows" else f"Total {m.label.lower()}",
            "query": q,
            "value": value_encoding(m),
            # a period is known: the change against the one before, computed by the view's query
            **({"compare": {"to": "previous_period"}} if specs[q].period and not years else {}),
        }
        for q, m in kpi_measures[: max(1, min(MAX_KPIS, MAX_VIEWS - len(views)))]
    ]
    views = (kpis + views)[:MAX_VIEWS]
    if charts:
        summary.insert(0, f"{len(kpis)} KPI{'s' if len(kpis) != 1 else ''} on top")
    else:
        summary.insert(0, "headline KPI" + ("s" if len(kpis) != 1 else "") + " (one number each)")
    used_queries = {v["query"] for v in views}
    specs = {n: s for n, s in specs.items() if n in used_queries}
    parameters: list[dict[str, Any]] = []
    if use_period and period is not None and any(s.period for s in specs.values()):
        parameters.append(
            {
                "name": PERIOD_PARAM,
                "type": "date_range",
                "label": "Period",
                "default": {"start": period.start, "end": period.end},
            }
        )
    for f in filters:
        if len(f.values) != 1:
            continue  # several values are written into the SQL as an IN list
        parameters.append(
            {
                "name": f.param,
                "type": "string",
                "label": f.column.replace("_", " ").capitalize(),
                "default": f.values[0],
            }
        )
    title = _title(res, measures, filters, period if use_period else None, conditions=conds)
    templated = _title(
        res, measures, filters, period if use_period else None, templates=True, conditions=conds
    )
    queries = {n: {"description": _describe(s), "sql": build_sql(s, catalog)} for n, s in specs.items()}
    from shared.adapters.model.offline.layout import arrange

    dashboard = {
        "version": 1,
        "title": templated,  # the filter values and period follow the parameters ({{ name }})
        "description": f"{main_label.capitalize()} from {base.short}"
        + (f", {{{{ {PERIOD_PARAM} }}}}" if use_period and period else "")
        + _computed(measures),
        "theme": "monotone",
        "parameters": parameters,
        "queries": queries,
        "views": arrange(views),
    }
    if not parameters:
        del dashboard["parameters"]
    dry_params = {n: dry_run_params(dashboard, s, resolve_date) for n, s in specs.items()}
    return Draft(title, dashboard, specs, dry_params, summary)


def dry_run_params(
    dashboard: Dashboard | dict[str, Any], spec: QuerySpec | None, resolve_date: Any = None
) -> list[dict[str, Any]]:
    """Parameter values (the dashboard defaults) for dry-running one query (typed parameters)."""
    from shared.dashboards.params import resolve_date as default_resolve
    from shared.dashboards.params import typed_parameters

    resolve = resolve_date or default_resolve
    out: list[dict[str, Any]] = []
    for p in typed_parameters(dashboard):
        if isinstance(p, DateRangeParameter):
            out.append(
                {"name": f"{p.name}_start", "type": "DATE", "value": resolve(p.default.start).isoformat()}
            )
            out.append({"name": f"{p.name}_end", "type": "DATE", "value": resolve(p.default.end).isoformat()})
        elif isinstance(p, DateParameter):
            out.append({"name": p.name, "type": "DATE", "value": resolve(p.default).isoformat()})
        elif isinstance(p, NumberParameter):
            out.append({"name": p.name, "type": "INT64" if p.integer else "FLOAT64", "value": p.default})
        else:
            out.append({"name": p.name, "type": "STRING", "value": p.default})
    return out


def _title(
    res: Resolution,
    measures: list[Measure],
    filters: list[ValueFilter],
    period: Period | None,
    *,
    templates: bool = False,
    conditions: tuple[ConditionFilter, ...] = (),
) -> str:
    """The dashboard title; with ``templates`` the filter values and period are ``{{ name }}``
    templates of their parameters (a filter of several values is written into the SQL, so its
    values are written into the title too)."""
    head = " and ".join(m.label for m in measures[:2])
    head = head[0].upper() + head[1:].lower() if head else "Overview"
    parts = [d.label.lower() for d in res.dims]
    if res.grain:
        parts.insert(0, res.grain)
    title = head + (" by " + " and ".join(parts) if parts else "")
    suffix = ""
    if filters:
        shown = [
            f"{{{{ {f.param} }}}}" if templates and len(f.values) == 1 else ", ".join(f.values)
            for f in filters
        ]
        suffix += " — " + ", ".join(shown)
    if conditions:
        suffix += (" — " if not filters else ", ") + ", ".join(c.text for c in conditions)
    if period is not None:
        suffix += f" ({{{{ {PERIOD_PARAM} }}}})" if templates else f" ({period.label})"
    return (title[: max(1, 120 - len(suffix))] + suffix)[:120]


def _computed(measures: list[Measure]) -> str:
    """How the derived measures are computed, for the description and the reply."""
    parts = [f"{m.label.lower()} = {m.why}" for m in measures if m.kind == "derived" and m.why]
    return (f". {COMPUTED}" + "; ".join(parts)) if parts else ""


def _describe(spec: QuerySpec) -> str:
    what = ", ".join(m.label.lower() for m in spec.measures)
    by = [spec.grain] if spec.grain else []
    by += [d.label.lower() for d in spec.dims]
    return (what + (" by " + " and ".join(by) if by else " in total"))[:500]


def slug_for(title: str, taken: set[str]) -> str:
    """A free slug for ``title``: lower-case words joined by '-', suffixed -2, -3 ... when taken."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "dashboard"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug
