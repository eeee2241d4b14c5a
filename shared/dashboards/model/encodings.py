"""Field encodings (a query column on a channel), the grid layout and row order."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.dashboards.model.vocabulary import (
    GRID_COLUMNS,
    Aggregate,
    Closed,
    FieldType,
    Format,
    SortOrder,
    StackMode,
    TimeGrain,
)


class FieldEncoding(Closed):
    """A field of the query result on a channel."""

    field: str = Field(min_length=1, description="Column of the query result.", examples=["revenue", "month"])
    type: FieldType | None = Field(
        None, description="Vega-Lite measurement type.", examples=["quantitative", "temporal"]
    )
    aggregate: Aggregate | None = Field(
        None, description="Aggregate applied in SQL, grouping by the other fields.", examples=["sum"]
    )
    time_grain: TimeGrain | None = Field(
        None, description="Truncate a date/timestamp field in SQL.", examples=["month"]
    )
    sort: SortOrder | None = Field(
        None, description="Order of this axis or column.", examples=["asc", "desc"]
    )
    format: Format | None = Field(
        None, description="How values are displayed.", examples=["currency", "percent"]
    )
    currency: str | None = Field(
        None,
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code used with format currency.",
        examples=["USD", "EUR"],
    )
    title: str | None = Field(
        None, max_length=120, description="Axis, legend or column title.", examples=["Revenue"]
    )


class BarSeriesEncoding(FieldEncoding):
    """The series (colour) field of a bar chart, and how its bars share a category."""

    stack: StackMode | None = Field(
        None,
        description="Series bars stacked on one another (default) or grouped side by side.",
        examples=["stacked", "grouped"],
    )


class Layout(Closed):
    """Position on the 12-column grid; views never overlap."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"x": 0, "y": 0, "w": 6, "h": 4}]})

    x: int = Field(ge=0, le=GRID_COLUMNS - 1, description="Left column (0-11).", examples=[0, 6])
    y: int = Field(ge=0, le=1000, description="Top row (0 and down).", examples=[0, 4])
    w: int = Field(ge=1, le=GRID_COLUMNS, description="Width in columns (1-12).", examples=[3, 12])
    h: int = Field(ge=1, le=12, description="Height in rows (1-12).", examples=[2, 4])


class Sort(Closed):
    """Order rows by a field (applied in SQL)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"field": "revenue", "order": "desc"}]})

    field: str = Field(min_length=1, description="Column to order rows by.", examples=["revenue"])
    order: SortOrder | None = Field(None, description="Ascending or descending.", examples=["desc"])
