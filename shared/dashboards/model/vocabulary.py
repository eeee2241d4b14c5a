"""The dashboard vocabulary: names, patterns and the literal types the model is built from."""

from __future__ import annotations

from typing import Annotated, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, StringConstraints, WithJsonSchema

GRID_COLUMNS = 12
DEFAULT_THEME: Final = "monotone"
DEFAULT_REFRESH = "1h"
VIEW_TYPES = ("kpi", "line", "bar", "area", "table", "pie", "scatter", "heatmap", "text")
PARAMETER_TYPES = ("date", "date_range", "string", "number", "enum")
DEFAULT_MAX_SERIES: Final = 8
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
REFRESH_PATTERN = r"^[1-9][0-9]{0,6}(s|m|h|d)$"
# a text whose every "{{" opens a well-formed parameter template (shared.dashboards.templates)
TEMPLATE_PATTERN = r"^([^{]|\{[^{]|\{$|\{\{\s*[a-z][a-z0-9_]{0,62}(\.(start|end))?\s*(\|[^{}]*)?\}\})*$"
DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2}|today([+-]\d{1,4}[dwmy])?)$"

Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
"""A YAML number as written (10 stays 10, 0.5 stays 0.5); the schema says ``number``."""

FieldType = Literal["quantitative", "temporal", "nominal", "ordinal"]
Aggregate = Literal["sum", "avg", "min", "max", "count", "count_distinct", "median"]
TimeGrain = Literal["day", "week", "month", "quarter", "year"]
Format = Literal["number", "percent", "currency", "date", "integer"]
SortOrder = Literal["asc", "desc"]
StackMode = Literal["stacked", "grouped"]
PartialPeriod = Literal["mark", "hide", "show"]
Theme = Literal["monotone", "accent", "dark"]
DateText = Annotated[str, StringConstraints(pattern=DATE_PATTERN)]

# The tuples other modules list (schema tests, planners) are read off the literal types: one source.
THEMES: tuple[str, ...] = get_args(Theme)
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
AGGREGATES: tuple[str, ...] = get_args(Aggregate)
TIME_GRAINS: tuple[str, ...] = get_args(TimeGrain)
FORMATS: tuple[str, ...] = get_args(Format)
SORT_ORDERS: tuple[str, ...] = get_args(SortOrder)
STACK_MODES: tuple[str, ...] = get_args(StackMode)
PARTIAL_PERIODS: tuple[str, ...] = get_args(PartialPeriod)


class Closed(BaseModel):
    """A closed (extra keys refused), immutable model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
