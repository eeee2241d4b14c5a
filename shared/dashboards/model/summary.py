"""What answers the next question: a KPI's comparison with an earlier period, a table's totals row."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from shared.dashboards.model.encodings import FieldEncoding
from shared.dashboards.model.vocabulary import NAME_PATTERN, Closed, TimeGrain

ComparisonPeriod = Literal["previous_period", "previous_year"]
Direction = Literal["up", "down"]
TotalKind = Literal["sum", "count", "avg", "min", "max", "none"]
COMPARISON_PERIODS = ("previous_period", "previous_year")
TOTAL_KINDS = ("sum", "count", "avg", "min", "max", "none")
_FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


class Comparison(Closed):
    """The KPI's change against an earlier period, computed by the view's one SQL query."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"to": "previous_period"}, {"to": "previous_year", "good": "down"}]}
    )

    to: ComparisonPeriod = Field(
        "previous_period",
        description=(
            "previous_period: the same number of days just before; previous_year: the same dates a year earlier."
        ),
        examples=["previous_period", "previous_year"],
    )
    parameter: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="The date_range parameter that sets the current period (default: the one the query uses).",
        examples=["period"],
    )
    field: str | None = Field(
        None,
        pattern=_FIELD_PATTERN,
        description=(
            "Without a date_range parameter: a date column of the query; the KPI shows its latest "
            "complete period (at grain; the one holding today is in progress) against the one before."
        ),
        examples=["created_at"],
    )
    grain: TimeGrain | None = Field(
        None, description="The period's length with field (default month).", examples=["month", "week"]
    )
    good: Direction = Field(
        "up", description="Whether a rise is good (shown green) or bad (red).", examples=["up", "down"]
    )
    label: str | None = Field(
        None,
        max_length=60,
        description="Text after the change (default: vs previous period / vs previous year).",
        examples=["vs last year"],
    )


class RatioTotal(Closed):
    """A ratio column's total: the numerator's total over the denominator's (never the ratios summed)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"numerator": "revenue", "denominator": "orders"}]}
    )

    numerator: str = Field(
        pattern=_FIELD_PATTERN, description="Column whose total is divided.", examples=["revenue"]
    )
    denominator: str = Field(
        pattern=_FIELD_PATTERN, description="Column whose total divides.", examples=["orders"]
    )


class TableColumn(FieldEncoding):
    """A column of a table view."""

    total: TotalKind | RatioTotal | None = Field(
        None,
        description=(
            "Its cell in the totals row: sum, count, avg, min, max or none, or a ratio of two columns' "
            "totals (default: the column's aggregate over all rows; sum for other numbers; none for "
            "percentages, averages, rates and text)."
        ),
        examples=["sum", "none", {"numerator": "revenue", "denominator": "orders"}],
    )


KpiComparison = Annotated[
    Comparison | None,
    Field(
        description="Show the change against an earlier period (direction and percentage).",
        examples=[{"to": "previous_period"}],
    ),
]
TableTotals = Annotated[
    bool | None,
    Field(
        description="Add a totals row computed in SQL over every row of the query (before top_n).",
        examples=[True],
    ),
]
