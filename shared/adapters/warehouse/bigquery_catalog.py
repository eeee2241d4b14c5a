"""BigQuery's catalog in one query per region: the INFORMATION_SCHEMA SQL and the fold of its rows.

``catalog_sql`` reads a whole region's views; ``dataset_catalog_sql`` reads the same columns for
one dataset from its dataset-level views, for identities without project-level metadata access.
Both return one row per column (or per table/dataset without any), folded by ``catalog_from_rows``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.adapters.warehouse.port import Column, DatasetInfo, TableInfo
from shared.errors import BadRequest

PROJECT_ID = re.compile(r"[a-z0-9][a-z0-9.:-]{0,62}[a-z0-9]", re.IGNORECASE)
LOCATION = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,40}")
DATASET_ID = re.compile(r"[A-Za-z0-9_]{1,1024}")

_CATALOG_COLUMNS = """
  t.table_name AS table_name, t.table_type AS table_type,
  ts.row_count AS row_count, ts.size_bytes AS size_bytes,
  ts.last_modified AS last_modified, tob.option_value AS table_description,
  c.column_name AS column_name, c.data_type AS data_type,
  c.is_partitioning_column AS is_partitioning, c.clustering_ordinal_position AS clustering_position,
  cf.description AS column_description, tpf.option_value AS require_partition_filter"""

_CATALOG_JOINS = """
LEFT JOIN {views}.TABLE_OPTIONS AS tob
  ON tob.table_schema = t.table_schema AND tob.table_name = t.table_name AND tob.option_name = 'description'
LEFT JOIN {views}.TABLE_OPTIONS AS tpf
  ON tpf.table_schema = t.table_schema AND tpf.table_name = t.table_name
  AND tpf.option_name = 'require_partition_filter'
LEFT JOIN {views}.COLUMNS AS c
  ON c.table_schema = t.table_schema AND c.table_name = t.table_name
LEFT JOIN {views}.COLUMN_FIELD_PATHS AS cf
  ON cf.table_schema = c.table_schema AND cf.table_name = c.table_name AND cf.field_path = c.column_name"""


def catalog_sql(project: str, location: str) -> str:
    """The single INFORMATION_SCHEMA query reading every dataset, table and column of a location.

    TABLE_STORAGE keeps a row per dropped table until its time travel ends (``deleted``): only
    live rows join, or a dropped-and-recreated table would list every column twice.
    """
    if not PROJECT_ID.fullmatch(project) or not LOCATION.fullmatch(location):
        raise BadRequest(f"invalid project {project!r} or location {location!r}")
    region = f"`{project}`.`region-{location.lower()}`.INFORMATION_SCHEMA"
    return f"""
SELECT
  s.schema_name AS dataset, s.location AS location, so.option_value AS dataset_description,{_CATALOG_COLUMNS}
FROM {region}.SCHEMATA AS s
LEFT JOIN {region}.SCHEMATA_OPTIONS AS so
  ON so.schema_name = s.schema_name AND so.option_name = 'description'
LEFT JOIN {region}.TABLES AS t ON t.table_schema = s.schema_name
LEFT JOIN (
  SELECT table_schema, table_name, total_rows AS row_count, total_logical_bytes AS size_bytes,
    storage_last_modified_time AS last_modified
  FROM {region}.TABLE_STORAGE WHERE NOT deleted
) AS ts ON ts.table_schema = t.table_schema AND ts.table_name = t.table_name{_CATALOG_JOINS.format(views=region)}
ORDER BY dataset, table_name, c.ordinal_position
""".strip()


def dataset_catalog_sql(project: str, dataset: str, location: str) -> str:
    """The same columns for one dataset, from its dataset-level views (no project-wide permission).

    SCHEMATA and TABLE_STORAGE exist only per region; the dataset's ``__TABLES__`` gives its
    tables' row counts, sizes and modified times instead.
    """
    if (
        not PROJECT_ID.fullmatch(project)
        or not DATASET_ID.fullmatch(dataset)
        or not LOCATION.fullmatch(location)
    ):
        raise BadRequest(f"invalid project {project!r}, dataset {dataset!r} or location {location!r}")
    views = f"`{project}`.`{dataset}`.INFORMATION_SCHEMA"
    return f"""
SELECT
  '{dataset}' AS dataset, '{location}' AS location, CAST(NULL AS STRING) AS dataset_description,{_CATALOG_COLUMNS}
FROM {views}.TABLES AS t
LEFT JOIN (
  SELECT table_id AS table_name, row_count, size_bytes,
    TIMESTAMP_MILLIS(last_modified_time) AS last_modified
  FROM `{project}`.`{dataset}`.__TABLES__
) AS ts ON ts.table_name = t.table_name{_CATALOG_JOINS.format(views=views)}
ORDER BY dataset, table_name, c.ordinal_position
""".strip()


def catalog_from_rows(project: str, rows: list[tuple[Any, ...]]) -> list[DatasetInfo]:
    """Fold the catalog query's one-row-per-column result into datasets, tables and columns."""
    datasets: dict[str, dict[str, Any]] = {}
    tables: dict[tuple[str, str], dict[str, Any]] = {}
    for (
        dataset, location, ds_desc, table, kind, rows_n, size, modified, t_desc,
        column, data_type, is_partitioning, clustering_position, c_desc, partition_filter,
    ) in rows:  # fmt: skip
        datasets.setdefault(dataset, {"location": location, "description": _option(ds_desc), "tables": []})
        if table is None:
            continue
        key = (dataset, table)
        if key not in tables:
            tables[key] = {
                "kind": kind, "rows": rows_n, "size": size, "modified": modified,
                "description": _option(t_desc), "columns": [], "partitioning": None, "clustering": {},
                "partition_filter": str(partition_filter or "").upper() == "TRUE",
            }  # fmt: skip
            datasets[dataset]["tables"].append(key)
        entry = tables[key]
        if column is None:
            continue
        entry["columns"].append(Column(column, data_type, c_desc or None))
        if is_partitioning == "YES":
            entry["partitioning"] = column
        if clustering_position is not None:
            entry["clustering"][int(clustering_position)] = column
    result = []
    for name, ds in sorted(datasets.items()):
        infos = []
        for key in ds["tables"]:
            t = tables[key]
            infos.append(
                TableInfo(
                    fully_qualified_name=f"{project}.{key[0]}.{key[1]}",
                    table_type=t["kind"] or "BASE TABLE",
                    row_count=None if t["rows"] is None else int(t["rows"]),
                    size_bytes=None if t["size"] is None else int(t["size"]),
                    description=t["description"],
                    partitioning=t["partitioning"],
                    clustering=tuple(t["clustering"][i] for i in sorted(t["clustering"])),
                    last_modified=t["modified"],
                    columns=tuple(t["columns"]),
                    require_partition_filter=t["partition_filter"],
                )
            )
        result.append(
            DatasetInfo(
                fully_qualified_name=f"{project}.{name}",
                description=ds["description"],
                location=ds["location"],
                tables=tuple(infos),
            )
        )
    return result


def _option(value: str | None) -> str | None:
    """An INFORMATION_SCHEMA option value (a quoted SQL string literal) as plain text."""
    if not value:
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return str(json.loads(value)) or None
        except ValueError:
            return value[1:-1] or None
    return value
