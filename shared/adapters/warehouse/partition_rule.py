"""BigQuery's rule for tables created with ``require_partition_filter``: a query must filter the
partition column wherever it reads such a table. Both warehouse adapters refuse with this error
(BigQuery says so itself; DuckDB applies the rule from the table's catalog entry), and the dry-run
tool turns its ``partition_columns`` detail into a suggestion the model acts on."""

from __future__ import annotations

from shared.errors import WarehouseError


def partition_filter_required(table: str, columns: list[str]) -> WarehouseError:
    return WarehouseError(
        f"{table} must be queried with a filter on its partition column {', '.join(columns)}"
        " (it requires a partition filter): add a WHERE condition on it",
        details={"table": table, "partition_columns": columns},
    )
