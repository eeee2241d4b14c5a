"""The typed dashboard: the only shape the rest of the code reads.

Built by :func:`shared.dashboards.validate.validate_dashboard` (the one loader) from YAML that passed the JSON Schema
(generated from these classes by :mod:`shared.dashboards.schema`) and the semantic rules. Every
object is closed (``extra="forbid"``); every field carries the description and examples the
schema publishes. Views and parameters are discriminated unions on ``type``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from shared.dashboards.model.encodings import (
    BarSeriesEncoding,
    FieldEncoding,
    Layout,
    Sort,
)
from shared.dashboards.model.parameters import (
    DateParameter,
    DateRange,
    DateRangeParameter,
    EnumParameter,
    NumberParameter,
    Parameter,
    ParameterLabel,
    ParameterName,
    StringParameter,
)
from shared.dashboards.model.summary import (
    COMPARISON_PERIODS,
    TOTAL_KINDS,
    Comparison,
    RatioTotal,
    TableColumn,
)
from shared.dashboards.model.views import (
    AreaView,
    BarColorEncoding,
    BarView,
    ChartView,
    ColorEncoding,
    DataView,
    HeatmapView,
    KpiView,
    LineView,
    MarkdownText,
    OptionalColor,
    PieView,
    QueryName,
    ScatterView,
    SizeEncoding,
    TableColumns,
    TableView,
    TextView,
    ThetaEncoding,
    TopN,
    ValueEncoding,
    View,
    ViewDescription,
    ViewId,
    ViewLayout,
    ViewSort,
    ViewTitle,
    XEncoding,
    YEncoding,
)
from shared.dashboards.model.vocabulary import (
    AGGREGATES,
    DATE_PATTERN,
    DEFAULT_REFRESH,
    DEFAULT_THEME,
    FIELD_TYPES,
    FORMATS,
    GRID_COLUMNS,
    NAME_PATTERN,
    PARAMETER_TYPES,
    REFRESH_PATTERN,
    SLUG_PATTERN,
    SORT_ORDERS,
    STACK_MODES,
    TEMPLATE_PATTERN,
    THEMES,
    TIME_GRAINS,
    VIEW_TYPES,
    Aggregate,
    Closed,
    DateText,
    FieldType,
    Format,
    Number,
    SortOrder,
    StackMode,
    Theme,
    TimeGrain,
)

__all__ = [
    "AGGREGATES",
    "COMPARISON_PERIODS",
    "DATE_PATTERN",
    "DEFAULT_REFRESH",
    "DEFAULT_THEME",
    "FIELD_TYPES",
    "FORMATS",
    "GRID_COLUMNS",
    "NAME_PATTERN",
    "PARAMETER_TYPES",
    "REFRESH_PATTERN",
    "SLUG_PATTERN",
    "SORT_ORDERS",
    "STACK_MODES",
    "TEMPLATE_PATTERN",
    "THEMES",
    "TIME_GRAINS",
    "TOTAL_KINDS",
    "VIEW_TYPES",
    "Aggregate",
    "AreaView",
    "BarColorEncoding",
    "BarSeriesEncoding",
    "BarView",
    "ChartView",
    "Closed",
    "ColorEncoding",
    "Comparison",
    "Dashboard",
    "DataView",
    "DateParameter",
    "DateRange",
    "DateRangeParameter",
    "DateText",
    "EnumParameter",
    "FieldEncoding",
    "FieldType",
    "Format",
    "HeatmapView",
    "KpiView",
    "Layout",
    "LineView",
    "MarkdownText",
    "Number",
    "NumberParameter",
    "OptionalColor",
    "Parameter",
    "ParameterLabel",
    "ParameterName",
    "PieView",
    "Query",
    "QueryName",
    "RatioTotal",
    "Refresh",
    "ScatterView",
    "SizeEncoding",
    "Sort",
    "SortOrder",
    "StackMode",
    "StringParameter",
    "TableColumn",
    "TableColumns",
    "TableView",
    "TextView",
    "Theme",
    "ThetaEncoding",
    "TimeGrain",
    "TopN",
    "ValueEncoding",
    "View",
    "ViewDescription",
    "ViewId",
    "ViewLayout",
    "ViewSort",
    "ViewTitle",
    "XEncoding",
    "YEncoding",
]


class Query(Closed):
    """A named query."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"sql": "SELECT 1 AS one"}]})

    sql: str = Field(
        min_length=1,
        max_length=100_000,
        description="One BigQuery Standard SQL SELECT; parameters as @name.",
        examples=[
            "SELECT country, SUM(sale_price) AS revenue FROM `demo.thelook_ecommerce.order_items` GROUP BY country"
        ],
    )
    description: str | None = Field(
        None, max_length=500, description="What the query returns.", examples=["Revenue"]
    )


Refresh = (
    Annotated[str, StringConstraints(pattern=REFRESH_PATTERN)] | Annotated[int, Field(ge=0, le=31_536_000)]
)


class Dashboard(Closed):
    """A Bridge dashboard: queries, parameters and views."""

    model_config = ConfigDict(title="Bridge dashboard")

    version: Literal[1] = Field(description="Schema version of this file.", examples=[1])
    title: str = Field(
        min_length=1,
        max_length=120,
        pattern=TEMPLATE_PATTERN,
        description="Dashboard title; may show parameter values: {{ name }}, {{ period }}, {{ status | All }}.",
        examples=["Revenue", "Revenue — {{ country }} ({{ period }})"],
    )
    description: str = Field(
        "",
        max_length=2000,
        pattern=TEMPLATE_PATTERN,
        description="What the dashboard shows; may show parameter values like the title.",
        examples=["Monthly revenue", "Orders since {{ period.start }}"],
    )
    theme: Theme = Field(DEFAULT_THEME, description="Colour theme.", examples=["monotone", "dark"])
    refresh: Refresh = Field(
        DEFAULT_REFRESH,
        description="Cache time-to-live: 15m, 1h, 1d or seconds (0 disables caching).",
        examples=["15m", 3600],
    )
    parameters: list[
        Annotated[
            Parameter,
            Field(
                description="A typed dashboard parameter.",
                examples=[{"name": "start_date", "type": "date", "default": "2024-01-01"}],
            ),
        ]
    ] = Field(
        default_factory=list,
        max_length=50,
        description="Inputs bound to @name in the queries.",
        examples=[[{"name": "start_date", "type": "date", "default": "today-90d"}]],
    )
    queries: dict[Annotated[str, StringConstraints(pattern=NAME_PATTERN)], Query] = Field(
        default_factory=dict,
        max_length=50,
        # the YAML may not write an empty map; the model (defaults filled in) may hold one
        json_schema_extra={"minProperties": 1},
        description="Named queries, referenced by views.",
        examples=[{"monthly": {"sql": "SELECT 1 AS one"}}],
    )
    views: list[
        Annotated[
            View,
            Field(
                description="A view on the grid.",
                examples=[
                    {"id": "notes", "type": "text", "text": "Hi", "layout": {"x": 0, "y": 0, "w": 12, "h": 1}}
                ],
            ),
        ]
    ] = Field(
        min_length=1,
        max_length=100,
        description="Views laid out on the 12-column grid.",
        examples=[
            [{"id": "notes", "type": "text", "text": "Hi", "layout": {"x": 0, "y": 0, "w": 12, "h": 1}}]
        ],
    )

    @property
    def refresh_written(self) -> bool:
        """Whether the YAML sets ``refresh`` (otherwise the team's default time-to-live applies)."""
        return "refresh" in self.model_fields_set

    def view(self, view_id: str) -> View | None:
        """The view with id ``view_id``, or None."""
        return next((v for v in self.views if v.id == view_id), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with defaults filled in (the shape validation returned before the model)."""
        return self.model_dump(mode="python", exclude_none=True)
