"""The agent↔model protocol: tool names, typed tool results, and the session's current dashboard.

Both sides import this module: the agent's tools (:mod:`shared.agent.tools`) return these result
models and the model adapters (the offline planner above all) read tool results and the request's
:class:`CurrentDashboard` through them, so no tool name or result key is retyped on either side.
A result travels as JSON (``model_dump``) in :class:`~shared.adapters.model.messages.ToolResultMessage`;
:func:`parse_result` reads it back into its model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

LIST_DATASETS = "list_datasets"
LIST_TABLES = "list_tables"
SEARCH_CATALOG = "search_catalog"
GET_TABLE_SCHEMA = "get_table_schema"
GET_COLUMN_VALUES = "get_column_values"
RUN_DRY_RUN_QUERY = "run_dry_run_query"
VALIDATE_DASHBOARD_YAML = "validate_dashboard_yaml"
SAVE_DASHBOARD_YAML = "save_dashboard_yaml"
LIST_DASHBOARDS = "list_dashboards"
GET_DASHBOARD = "get_dashboard"


@dataclass(frozen=True)
class CurrentDashboard:
    """The dashboard this chat session is editing, sent with every model request of its turns."""

    slug: str
    version: int | None = None
    yaml: str | None = None  # None when the object could not be read (deleted meanwhile)


class Result(BaseModel):
    """Base of every tool result: closed, and dumped without the optional keys left unset."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class DatasetInfo(Result):
    name: str
    description: str | None = None
    location: str | None = None
    table_count: int


class ListDatasetsResult(Result):
    datasets: list[DatasetInfo]


class TableInfo(Result):
    name: str
    dataset: str
    type: str | None = None
    row_count: int | None
    size_bytes: int | None = None
    description: str | None = None
    partitioning: str | None
    column_count: int | None = None


class ListTablesResult(Result):
    tables: list[TableInfo]
    total: int | None = None  # tables in the listing (all pages)
    next_cursor: str | None = None  # pass back as ``cursor`` for the next page; None = last page


class TableMatch(Result):
    name: str
    dataset: str
    description: str | None = None
    row_count: int | None
    column_count: int | None = None
    matched_columns: list[str] = []
    matched_values: list[str] = []  # "column: value" for sampled values that share a word with the query
    score: float


class SearchCatalogResult(Result):
    query: str
    tables: list[TableMatch]
    total_tables: int


class Column(Result):
    name: str
    type: str
    description: str | None = None
    sample_values: list[str] | None = None  # frequent values of a categorical text column (data)


class TableSchemaResult(Result):
    name: str
    description: str | None = None
    row_count: int | None
    size_bytes: int | None = None
    partitioning: str | None
    clustering: list[str]
    columns: list[Column]


class ColumnValue(Result):
    value: Any
    count: int


class ColumnValuesResult(Result):
    table: str
    column: str
    values: list[ColumnValue]
    truncated: bool


class ToolProblem(Result):
    code: str
    message: str


class ToolFailure(BaseModel):
    """A failed call's ``ToolResultMessage.error`` (``{code, message, details?}``) as a model reads it."""

    model_config = ConfigDict(extra="ignore")

    code: str = "error"
    message: str | None = None
    details: Any = None


class DryRunResult(Result):
    passed: bool
    bytes_processed: int | None
    byte_cap: int
    schema_: list[Column] = Field(alias="schema")
    referenced_tables: list[str] | None = None
    error: ToolProblem | None
    suggestion: str | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class YamlError(Result):
    path: str | None = None
    line: int | None = None
    column: int | None = None
    message: str


class ChartWarning(Result):
    view: str
    level: str
    message: str


class ValidationResult(Result):
    valid: bool
    errors: list[YamlError]
    warnings: list[ChartWarning]
    not_dry_run: list[str]


class SavedDashboard(Result):
    dashboard_slug: str
    version: int
    yaml_path: str
    preview_url: str
    warnings: list[ChartWarning] | None = None


class DashboardSummary(Result):
    slug: str
    title: str
    description: str | None = None
    version: int
    preview_url: str | None = None  # where the web app shows it


class ListDashboardsResult(Result):
    dashboards: list[DashboardSummary]


class DashboardText(Result):
    slug: str
    title: str | None = None
    version: int
    yaml: str


RESULTS: dict[str, type[Result]] = {
    LIST_DATASETS: ListDatasetsResult,
    LIST_TABLES: ListTablesResult,
    SEARCH_CATALOG: SearchCatalogResult,
    GET_TABLE_SCHEMA: TableSchemaResult,
    GET_COLUMN_VALUES: ColumnValuesResult,
    RUN_DRY_RUN_QUERY: DryRunResult,
    VALIDATE_DASHBOARD_YAML: ValidationResult,
    SAVE_DASHBOARD_YAML: SavedDashboard,
    LIST_DASHBOARDS: ListDashboardsResult,
    GET_DASHBOARD: DashboardText,
}
TOOL_NAMES = tuple(RESULTS)


def parse_result(name: str, result: Any) -> Result:
    """The typed result of tool ``name`` from its JSON form."""
    return RESULTS[name].model_validate(result)


def parse_error(error: Any) -> ToolFailure:
    """The typed error of a failed tool call (an unreadable one keeps the default code, no message)."""
    try:
        return ToolFailure.model_validate(error)
    except ValidationError:
        return ToolFailure()
