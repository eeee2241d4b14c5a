"""Series caps: the top N series of a multi-series chart (or slices of a pie), the rest as "Other".

Everything is computed in the view's SQL, never in the browser. The query's rows are ranked by
their series' total (the measure's own aggregate over every row of the series, largest first;
ties by the series value); series ranked past N are relabelled ``Other`` and aggregated with the
view's measure aggregate (a measure without one is summed), so "Other" is the remainder of the
whole. Each row carries ``_series_rank`` (1..N, and N + 1 for "Other"): the SQL orders by it and
the Vega-Lite spec sorts the legend, the stack and the colours by it, so they always agree. A
pie also gets ``_share``, each slice's part of the whole, for its tooltip. On a multi-series line,
area or bar, ``top_n`` keeps the N categories (x values) with the largest totals, each with all its
series, not N rows; a pie's ``top_n`` caps its slices.

A series value is compared as text (``CAST(... AS STRING)``), so numbers and dates fold too. A
kept series that is really called "Other" keeps its name and the folded remainder is labelled
"Other (rest)" instead, so the legend never shows two "Other" entries and the two never merge; a
folded series called "Other" is part of the remainder like any other. The web app tells the
remainder by its rank (``_series_rank`` past the cap), never by its label.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp

from shared.dashboards.model import AreaView, BarView, FieldEncoding, LineView, PieView, ScatterView, View
from shared.dashboards.theme import other_colour, theme_config

__all__ = ["OTHER", "RANK", "SHARE", "SeriesFold", "decorate_series", "series_fold"]

from shared.dashboards.visible import CATEGORY_RANK, CATEGORY_TOTAL, OTHER_LABEL, RANK, SHARE, TOTAL

OTHER = "Other"
OTHER_REST = "Other (rest)"  # the fold's label when a kept series is called "Other"
# the ranking aggregate must be a window function; APPROX_QUANTILES is not one, so medians rank by AVG
_WINDOW_AGGREGATES = {
    "sum": "SUM(__m__)",
    "avg": "AVG(__m__)",
    "min": "MIN(__m__)",
    "max": "MAX(__m__)",
    "count": "COUNT(__m__)",
    "count_distinct": "COUNT(DISTINCT __m__)",
    "median": "AVG(__m__)",
}


@dataclass(frozen=True)
class SeriesFold:
    """How one view folds its series: the colour ``field``, the ``limit`` and the ranking measure."""

    field: str
    limit: int
    measure: FieldEncoding | None
    groups: bool  # the folded rows are aggregated (False: a scatter keeps its points)
    pie: bool

    def source(self, inner: exp.Expr) -> exp.Select:
        """``inner`` (the query) with ``_series_rank`` on every row, aliased ``q`` like the query."""
        if self.measure is not None:
            aggregate = _WINDOW_AGGREGATES.get(str(self.measure.aggregate), "SUM(__m__)")
            total = _template(f"{aggregate} OVER (PARTITION BY __s__)", self.field, self.measure.field)
        else:
            total = _template("COUNT(*) OVER (PARTITION BY __s__)", self.field, None)
        totals = exp.select(exp.Star(), exp.alias_(total, TOTAL, quoted=True)).from_(_aliased(inner))
        rank = _template(f"DENSE_RANK() OVER (ORDER BY `{TOTAL}` DESC, __s__ ASC)", self.field, None)
        ranked = exp.select(exp.Star(), exp.alias_(rank, RANK, quoted=True)).from_(_aliased(totals))
        # a kept series literally called "Other" keeps its name; the folded remainder is then "Other (rest)"
        clash = _template(
            f"IF(MAX(IF(`{RANK}` <= {self.limit} AND CAST(__s__ AS STRING) = '{OTHER}', 1, 0)) OVER () = 1, "
            f"'{OTHER_REST}', '{OTHER}')",
            self.field,
            None,
        )
        return exp.select(exp.Star(), exp.alias_(clash, OTHER_LABEL, quoted=True)).from_(_aliased(ranked))

    def label(self, expression: exp.Expr) -> exp.Expr:
        """The series column: its value (as text) within the top ``limit``, else the fold's label.

        The label is ``Other``, or ``Other (rest)`` when a kept series is itself called "Other"
        (``_other_label``, decided in :meth:`source`), so the two never merge.
        """
        tree = _parsed(f"IF(`{RANK}` <= {self.limit}, CAST(__s__ AS STRING), `{OTHER_LABEL}`)").copy()
        return tree.transform(lambda node: expression.copy() if _is(node, "__s__") else node)

    def rank_projection(self, aggregated: bool) -> exp.Expr:
        """``_series_rank`` of an output row: 1..limit, ``limit + 1`` for Other."""
        least = f"LEAST(`{RANK}`, {self.limit + 1})"
        return exp.alias_(_parsed(f"MIN({least})" if aggregated else least).copy(), RANK, quoted=True)

    def category(self, view: View) -> str | None:
        """The category axis whose top N a ``top_n`` keeps (None: a pie, or points, keep rows)."""
        if self.pie or not self.groups or not isinstance(view, LineView | AreaView | BarView):
            return None
        horizontal = (view.x.type or "") == "quantitative" and isinstance(view, BarView)
        return view.y.field if horizontal else view.x.field

    def top_categories(self, grouped: exp.Select, category: str, n: int) -> exp.Select:
        """The grouped rows of the ``n`` categories with the largest totals (every series kept).

        A category's total is the sum of its series' measures (the ranking; each row keeps its
        own aggregate); ties by the category, ascending. Rows carry ``_category_rank``.
        """
        measure = self.measure.field if self.measure is not None else None
        total = _template("SUM(__m__) OVER (PARTITION BY __s__)", category, measure)
        totals = exp.select(exp.Star(), exp.alias_(total, CATEGORY_TOTAL, quoted=True)).from_(
            _aliased(grouped)
        )
        rank = _template(f"DENSE_RANK() OVER (ORDER BY `{CATEGORY_TOTAL}` DESC, __s__ ASC)", category, None)
        ranked = exp.select(exp.Star(), exp.alias_(rank, CATEGORY_RANK, quoted=True)).from_(_aliased(totals))
        kept = exp.column(CATEGORY_RANK, quoted=True) <= exp.Literal.number(n)
        return exp.select(exp.Star()).from_(_aliased(ranked)).where(kept)

    def category_order(self, view: View) -> list[tuple[str, bool]]:
        """Rows by category rank (the bars' order), or by time when the category axis is time."""
        x = getattr(view, "x", None)
        temporal = isinstance(x, FieldEncoding) and (x.type == "temporal" or bool(x.time_grain))
        if temporal or (x is not None and x.type is None and isinstance(view, LineView | AreaView)):
            return [(x.field, False)] if isinstance(x, FieldEncoding) else []
        return [(CATEGORY_RANK, False)]

    @staticmethod
    def share_projection(measure: exp.Expr) -> exp.Expr:
        """A pie slice's share of the whole (0..1) from its aggregated measure expression."""
        tree = _parsed("SAFE_DIVIDE(__m__, SUM(__m__) OVER ())").copy()
        share = tree.transform(lambda node: measure.copy() if _is(node, "__m__") else node)
        return exp.alias_(share, SHARE, quoted=True)


def series_fold(view: View) -> SeriesFold | None:
    """The view's series cap, or None when it has no categorical series to fold."""
    if isinstance(view, PieView):
        limit = min(view.top_n, view.max_slices) if view.top_n else view.max_slices
        return SeriesFold(view.color.field, limit, view.theta, groups=True, pie=True)
    if not isinstance(view, LineView | AreaView | BarView | ScatterView) or view.color is None:
        return None
    color = view.color
    if (color.type or "nominal") not in ("nominal", "ordinal") or color.aggregate or color.time_grain:
        return None
    if color.field in (view.x.field, view.y.field):
        return None
    measure = view.y if (view.y.type or "quantitative") == "quantitative" else view.x
    if isinstance(view, ScatterView):
        aggregated = any(e.aggregate for e in (view.x, view.y))
        return SeriesFold(color.field, view.max_series, measure if aggregated else None, aggregated, False)
    return SeriesFold(color.field, view.max_series, measure, groups=True, pie=False)


def decorate_series(view: View, fold: SeriesFold, encoding: dict[str, Any], theme: str) -> dict[str, Any]:
    """Sort the legend, colours, stack and groups by ``_series_rank``; Other in a muted grey.

    Returns the ``usermeta`` entry the web app reads (which field folds, and its Other label).
    """
    by_rank = {"field": RANK, "op": "min", "order": "ascending"}
    color = encoding["color"]
    color["sort"] = by_rank
    palette = list(theme_config(theme)["range"]["category"])
    # the first `limit` colours for the ranked series, then grey: Other is grey whenever it exists
    color["scale"] = {"range": [palette[i % len(palette)] for i in range(fold.limit)] + [other_colour(theme)]}
    for offset in ("xOffset", "yOffset"):
        if offset in encoding:
            encoding[offset]["sort"] = dict(by_rank)
    if fold.pie:
        encoding["order"] = {"field": RANK, "type": "quantitative", "sort": "ascending"}
        encoding["tooltip"].append(
            {"field": SHARE, "type": "quantitative", "title": "Share", "format": ".1%"}
        )
    elif isinstance(view, AreaView) or (
        isinstance(view, BarView) and not {"xOffset", "yOffset"} & set(encoding)
    ):
        encoding["order"] = {"field": RANK, "type": "quantitative", "sort": "ascending"}
    return {"field": fold.field, "limit": fold.limit, "other": OTHER, "other_rest": OTHER_REST, "rank": RANK}


def _aliased(query: exp.Expr) -> exp.Subquery:
    return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("q")))


def _template(text: str, series: str, measure: str | None) -> exp.Expr:
    def fill(node: exp.Expr) -> exp.Expr:
        if _is(node, "__s__"):
            return exp.column(series, quoted=True)
        if _is(node, "__m__") and measure is not None:
            return exp.column(measure, quoted=True)
        return node

    return _parsed(text).copy().transform(fill)


def _is(node: exp.Expr, name: str) -> bool:
    return isinstance(node, exp.Column) and not node.this.quoted and node.name == name


@cache
def _parsed(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="bigquery")
