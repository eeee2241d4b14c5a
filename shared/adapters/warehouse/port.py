"""The warehouse port: catalog, dry run and capped execution, in BigQuery's terms.

SQL handed to a warehouse is BigQuery Standard SQL with ``@name`` query parameters. Callers
must pass it through :mod:`shared.sqlguard` first; adapters enforce the byte cap themselves.
The guard hands its parse tree along as a :class:`ParsedSql` so an adapter need not parse again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlglot import exp


class ParsedSql(str):
    """SQL text that carries its BigQuery parse tree (the guard's), so it is parsed only once.

    It is the text itself (a ``str``): adapters that send text to their warehouse use it as is;
    the DuckDB adapter transpiles ``tree`` instead of parsing the text again. The tree is shared
    and must only be read (copy it before transforming).
    """

    tree: exp.Expr

    def __new__(cls, text: str, tree: exp.Expr) -> ParsedSql:
        self = super().__new__(cls, text)
        self.tree = tree
        return self


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # BigQuery type name: STRING, INT64, FLOAT64, NUMERIC, BOOL, DATE, TIMESTAMP, ...
    description: str | None = None


@dataclass(frozen=True)
class TableInfo:
    fully_qualified_name: str  # project.dataset.table
    table_type: str = "BASE TABLE"
    row_count: int | None = None
    size_bytes: int | None = None
    description: str | None = None
    partitioning: str | None = None  # partition column, if any
    clustering: tuple[str, ...] = ()
    last_modified: datetime | None = None
    columns: tuple[Column, ...] = ()
    require_partition_filter: bool = False  # BigQuery refuses queries without a partition filter


@dataclass(frozen=True)
class DatasetInfo:
    fully_qualified_name: str  # project.dataset
    description: str | None = None
    location: str | None = None
    last_modified: datetime | None = None
    tables: tuple[TableInfo, ...] = ()


@dataclass(frozen=True)
class QueryParam:
    """A BigQuery named query parameter (``@name``)."""

    name: str
    type: str  # STRING, INT64, FLOAT64, BOOL, DATE, TIMESTAMP
    value: Any


@dataclass(frozen=True)
class DryRun:
    total_bytes_processed: int
    schema: tuple[Column, ...]
    referenced_tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    truncated: bool
    bytes_processed: int
    bytes_billed: int = 0
    job_id: str | None = None


@dataclass(frozen=True)
class QueryOptions:
    max_bytes_billed: int
    row_limit: int = 10_000
    labels: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 60.0
    json_cells: bool = False  # every cell as the data API sends it (values.json_cell), converted once


@dataclass(frozen=True)
class SampleLimits:
    """Bounds of one catalog sampling (see :mod:`shared.adapters.warehouse.samples`)."""

    max_bytes_billed: int  # the whole sampling's estimated bytes, all tables together
    timeout_s: float = 30.0  # the whole sampling's deadline
    values_per_column: int = 10
    value_chars: int = 40
    bytes_per_table: int = 1_500
    total_bytes: int = 4_000_000
    rows_sampled: int = 20_000  # rows a table's sample aims at
    max_tables: int = 2_000


Samples = dict[str, dict[str, list[str]]]  # fully qualified table → column → values


class Warehouse(Protocol):
    """One connection's warehouse. Errors: ByteCapExceeded, WarehouseError, Timeout, Unavailable."""

    project: str

    def validate(self) -> None:
        """Dry-run ``SELECT 1``; raise a BridgeError when the connection does not work."""
        ...

    def scan_catalog(self) -> list[DatasetInfo]:
        """Every dataset with its tables and columns, read in bulk (never one call per table)."""
        ...

    def table(self, fully_qualified_name: str) -> TableInfo:
        """One table with columns, partitioning and clustering; NotFound when absent."""
        ...

    def sample_values(self, tables: Sequence[TableInfo], limits: SampleLimits) -> Samples:
        """The most frequent short values of the tables' STRING columns, in bulk and bounded.

        Tables are taken in the order given while the estimate fits ``limits.max_bytes_billed``
        and the deadline holds; a table left out is absent from the answer, a sampled table with
        nothing categorical maps to ``{}``. Raises only when nothing could be sampled at all.
        """
        ...

    def dry_run(self, sql: str, params: tuple[QueryParam, ...] = ()) -> DryRun:
        """Estimate the bytes ``sql`` would process and the schema of its result."""
        ...

    def query(self, sql: str, params: tuple[QueryParam, ...], options: QueryOptions) -> QueryResult:
        """Run ``sql`` refusing to bill more than ``options.max_bytes_billed`` bytes."""
        ...

    def data_version(self, tables: tuple[str, ...]) -> str | None:
        """A token that changes when any of ``tables`` changes (last-modified times), if known."""
        ...
