"""BigQuery's rule for tables created with ``require_partition_filter``: a query must filter the
partition column wherever it reads such a table. Both warehouse adapters refuse with this error
(BigQuery says so itself; DuckDB applies the rule from the table's catalog entry), and the dry-run
tool turns its ``partition_columns`` detail into a suggestion the model acts on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.errors import WarehouseError

if TYPE_CHECKING:
    from shared.adapters.warehouse.bytes_estimate import TableKey, TableRead
    from shared.adapters.warehouse.port import TableInfo

# The local warehouse's flag: an optional column of its metadata table (_bridge.tables).
FLAGGED_SQL = "SELECT dataset, table_name FROM _bridge.tables WHERE require_partition_filter"


def partition_filter_required(table: str, columns: list[str]) -> WarehouseError:
    return WarehouseError(
        f"{table} must be queried with a filter on its partition column {', '.join(columns)}"
        " (it requires a partition filter): add a WHERE condition on it",
        details={"table": table, "partition_columns": columns},
    )


def check_partition_filters(
    project: str, reads: Mapping[TableKey, TableRead], tables: Mapping[TableKey, TableInfo]
) -> None:
    """Refuse, as BigQuery does, a read of a flagged table that does not filter its partition column
    (``partition_filters`` is None when some read of the table has no such filter)."""
    for (dataset, table), read in sorted(reads.items()):
        info = tables.get((dataset, table))
        if info and info.require_partition_filter and info.partitioning and not read.partition_filters:
            raise partition_filter_required(f"{project}.{dataset}.{table}", [info.partitioning])
