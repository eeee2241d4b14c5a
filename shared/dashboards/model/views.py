"""The view types: a discriminated union on ``type``; each allows only its own keys."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from shared.dashboards.model.encodings import BarSeriesEncoding, FieldEncoding, Layout, Sort
from shared.dashboards.model.summary import KpiComparison, TableColumn, TableTotals
from shared.dashboards.model.vocabulary import (
    DEFAULT_MAX_SERIES,
    NAME_PATTERN,
    SLUG_PATTERN,
    TEMPLATE_PATTERN,
    Closed,
    PartialPeriod,
)

# ---------------------------------------------------------------- views

ViewId = Annotated[
    str, Field(pattern=SLUG_PATTERN, description="Unique slug of the view.", examples=["revenue_trend"])
]
_TEMPLATES = " May show parameter values: {{ name }}, {{ period.start }}, {{ status | every status }}."
ViewTitle = Annotated[
    str,
    Field(
        max_length=120,
        pattern=TEMPLATE_PATTERN,
        description="Title shown above the view." + _TEMPLATES,
        examples=["Revenue by month", "Revenue in {{ country }}"],
    ),
]
ViewDescription = Annotated[
    Annotated[str, Field(max_length=500, pattern=TEMPLATE_PATTERN)] | None,
    Field(description="Subtitle or hint." + _TEMPLATES, examples=["Excludes returns", "{{ period }}"]),
]
QueryName = Annotated[
    str, Field(pattern=NAME_PATTERN, description="Name of a query in queries.", examples=["monthly"])
]
TopN = Annotated[
    Annotated[int, Field(ge=1, le=10000)] | None,
    Field(
        description=(
            "Keep only the first N rows (after sort); with a series, the N categories with the largest"
            " totals (all their series); on a pie, N slices plus Other."
        ),
        examples=[10],
    ),
]
ViewSort = Annotated[
    Sort | None,
    Field(
        description="Order rows by a field (applied in SQL).",
        examples=[{"field": "revenue", "order": "desc"}],
    ),
]
ViewLayout = Annotated[
    Layout, Field(description="Position on the 12-column grid.", examples=[{"x": 0, "y": 0, "w": 6, "h": 4}])
]
XEncoding = Annotated[
    FieldEncoding,
    Field(
        description="Horizontal axis.",
        examples=[{"field": "month", "type": "temporal", "time_grain": "month"}],
    ),
]
YEncoding = Annotated[
    FieldEncoding,
    Field(
        description="Vertical axis.",
        examples=[{"field": "revenue", "type": "quantitative", "format": "currency"}],
    ),
]
_COLOR = "Colour channel: series for lines, bars and areas; legend for pies."
ColorEncoding = Annotated[FieldEncoding, Field(description=_COLOR, examples=[{"field": "country"}])]
OptionalColor = Annotated[FieldEncoding | None, Field(description=_COLOR, examples=[{"field": "country"}])]
BarColorEncoding = Annotated[
    BarSeriesEncoding | None,
    Field(description=_COLOR, examples=[{"field": "country"}, {"field": "country", "stack": "grouped"}]),
]
SizeEncoding = Annotated[
    FieldEncoding | None,
    Field(description="Point size channel.", examples=[{"field": "orders", "type": "quantitative"}]),
]
ThetaEncoding = Annotated[
    FieldEncoding,
    Field(description="Slice angle of a pie.", examples=[{"field": "revenue", "aggregate": "sum"}]),
]
ValueEncoding = Annotated[
    FieldEncoding,
    Field(
        description="The number a KPI shows.",
        examples=[{"field": "revenue", "aggregate": "sum", "format": "currency"}],
    ),
]
TableColumns = Annotated[
    list[
        Annotated[
            TableColumn,
            Field(description="A column of the table.", examples=[{"field": "country", "title": "Country"}]),
        ]
    ],
    Field(
        min_length=1,
        max_length=50,
        description="Columns of a table view, in order.",
        examples=[[{"field": "country"}, {"field": "revenue", "format": "currency"}]],
    ),
]
MaxSeries = Annotated[
    int,
    Field(
        ge=1,
        le=50,
        description=(
            "Most series (colour values) drawn; the rest fold into one 'Other' series, in the SQL."
            " Series rank by the measure's total (largest first); the legend follows that order."
        ),
        examples=[8, 5],
    ),
]
MaxSlices = Annotated[
    int,
    Field(
        ge=1,
        le=50,
        description=(
            "Most slices drawn; the rest fold into one 'Other' slice, in the SQL (top_n, when set,"
            " caps the slices too), so every share is of the whole."
        ),
        examples=[8, 6],
    ),
]
PartialPeriodMode = Annotated[
    PartialPeriod,
    Field(
        description=(
            "The current, incomplete period of a time axis (the one holding today's date, UTC):"
            " mark draws it dashed or lighter, hide leaves it out with a note, show draws it as any other."
        ),
        examples=["mark", "hide"],
    ),
]
MarkdownText = Annotated[
    str,
    Field(min_length=1, max_length=20000, description="Markdown body of a text view.", examples=["## Notes"]),
]


def _kind(name: str) -> Any:
    return Field(description="Kind of view.", examples=[name])


class _View(Closed):
    """Fields every view has (text views have no query)."""

    id: str
    type: str

    def encodings(self) -> dict[str, FieldEncoding]:
        """The view's channels that hold a field encoding, by channel name, in schema order."""
        return {
            name: value
            for name in ("x", "y", "color", "size", "theta", "value")
            if isinstance(value := getattr(self, name, None), FieldEncoding)
        }


class KpiView(_View):
    """A kpi view."""

    id: ViewId
    type: Literal["kpi"] = _kind("kpi")
    query: QueryName
    value: ValueEncoding
    compare: KpiComparison = None
    title: ViewTitle = ""
    description: ViewDescription = None
    layout: ViewLayout


class _XYView(_View):
    query: QueryName
    x: XEncoding
    y: YEncoding
    title: ViewTitle = ""
    description: ViewDescription = None


class LineView(_XYView):
    """A line view."""

    id: ViewId
    type: Literal["line"] = _kind("line")
    color: OptionalColor = None
    top_n: TopN = None
    sort: ViewSort = None
    max_series: MaxSeries = DEFAULT_MAX_SERIES
    partial_period: PartialPeriodMode = "mark"
    layout: ViewLayout


class BarView(_XYView):
    """A bar view."""

    id: ViewId
    type: Literal["bar"] = _kind("bar")
    color: BarColorEncoding = None
    top_n: TopN = None
    sort: ViewSort = None
    max_series: MaxSeries = DEFAULT_MAX_SERIES
    partial_period: PartialPeriodMode = "mark"
    layout: ViewLayout


class AreaView(_XYView):
    """A area view."""

    id: ViewId
    type: Literal["area"] = _kind("area")
    color: OptionalColor = None
    top_n: TopN = None
    sort: ViewSort = None
    max_series: MaxSeries = DEFAULT_MAX_SERIES
    partial_period: PartialPeriodMode = "mark"
    layout: ViewLayout


class TableView(_View):
    """A table view."""

    id: ViewId
    type: Literal["table"] = _kind("table")
    query: QueryName
    columns: TableColumns
    totals: TableTotals = None
    title: ViewTitle = ""
    description: ViewDescription = None
    top_n: TopN = None
    sort: ViewSort = None
    layout: ViewLayout


class PieView(_View):
    """A pie view."""

    id: ViewId
    type: Literal["pie"] = _kind("pie")
    query: QueryName
    theta: ThetaEncoding
    color: ColorEncoding
    title: ViewTitle = ""
    description: ViewDescription = None
    top_n: TopN = None
    max_slices: MaxSlices = DEFAULT_MAX_SERIES
    layout: ViewLayout


class ScatterView(_XYView):
    """A scatter view."""

    id: ViewId
    type: Literal["scatter"] = _kind("scatter")
    color: OptionalColor = None
    size: SizeEncoding = None
    top_n: TopN = None
    max_series: MaxSeries = DEFAULT_MAX_SERIES
    partial_period: PartialPeriodMode = "mark"
    layout: ViewLayout


class HeatmapView(_XYView):
    """A heatmap view."""

    id: ViewId
    type: Literal["heatmap"] = _kind("heatmap")
    color: ColorEncoding
    top_n: TopN = None
    layout: ViewLayout


class TextView(_View):
    """A text view."""

    id: ViewId
    type: Literal["text"] = _kind("text")
    text: MarkdownText
    title: ViewTitle = ""
    layout: ViewLayout


View = Annotated[
    KpiView | LineView | BarView | AreaView | TableView | PieView | ScatterView | HeatmapView | TextView,
    Field(discriminator="type"),
]
ChartView = LineView | BarView | AreaView | PieView | ScatterView | HeatmapView
DataView = KpiView | TableView | ChartView
