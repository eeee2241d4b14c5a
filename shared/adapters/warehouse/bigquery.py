"""The warehouse on BigQuery (google-cloud-bigquery), with the byte cap enforced by BigQuery.

- ``dry_run``: a dry-run query job (no cache) reports ``total_bytes_processed`` and the schema.
- ``query``: ``client.query_and_wait`` with ``maximum_bytes_billed`` always set, labels (``app``,
  ``team``, ``dashboard``...), a job timeout and at most ``row_limit + 1`` rows fetched. BigQuery
  refuses a job that would bill more with reason ``bytesBilledLimitExceeded`` →
  :class:`ByteCapExceeded`. BigQuery bills at least 10 MiB per table a query reads, so a cap
  below 10 MiB (10,485,760 bytes) refuses every query that reads a table; it is still a cap.
- ``scan_catalog``: one ``datasets.list`` to learn the datasets' locations, then ONE query per
  location over that region's INFORMATION_SCHEMA (SCHEMATA, TABLES, TABLE_STORAGE,
  TABLE_OPTIONS, COLUMNS, COLUMN_FIELD_PATHS), never one API call per table.
- ``data_version``: the tables' ``modified`` times (``tables.get``), cached briefly.

The client is built lazily from the connection's service-account JSON (or the function's own
identity when there is none) and google-cloud-bigquery is imported on first use.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.adapters.warehouse.port import (
    Column,
    DatasetInfo,
    DryRun,
    QueryOptions,
    QueryParam,
    QueryResult,
    TableInfo,
)
from shared.errors import (
    BadRequest,
    BridgeError,
    ByteCapExceeded,
    NotFound,
    Timeout,
    Unavailable,
    WarehouseError,
)

MIN_BILLED_BYTES = 10 * 1024 * 1024  # BigQuery's minimum per table read (on-demand pricing)
CATALOG_BYTE_CAP = 1_000_000_000  # INFORMATION_SCHEMA scans bill too
DATA_VERSION_TTL_S = 30.0
SCOPES = ("https://www.googleapis.com/auth/bigquery",)

_PROJECT = re.compile(r"[a-z0-9][a-z0-9.:-]{0,62}[a-z0-9]", re.IGNORECASE)
_LOCATION = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,40}")
_LABEL_INVALID = re.compile(r"[^a-z0-9_-]")
_REQUIRED_BYTES = re.compile(r"(\d+) or higher required")
_LEGACY_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}
_PARAM_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}
_UNAVAILABLE_REASONS = {"rateLimitExceeded", "quotaExceeded", "backendError", "internalError"}


def bigquery_type(field_type: str, mode: str | None = None) -> str:
    """Standard SQL type name of a schema field (``INTEGER`` → ``INT64``, repeated → ``ARRAY<...>``)."""
    name = _LEGACY_TYPES.get(field_type.upper(), field_type.upper())
    return f"ARRAY<{name}>" if (mode or "").upper() == "REPEATED" else name


def job_labels(labels: dict[str, str], **extra: str) -> dict[str, str]:
    """Labels BigQuery accepts: lowercase ``[a-z0-9_-]``, at most 63 characters, keys start with a letter."""
    cleaned: dict[str, str] = {"app": "bridge"}
    for key, value in {**labels, **extra}.items():
        k = _LABEL_INVALID.sub("_", str(key).lower())[:63]
        if not k or not k[0].isalpha():
            k = ("l" + k)[:63]
        cleaned[k] = _LABEL_INVALID.sub("_", str(value).lower())[:63]
    return cleaned


@dataclass(frozen=True)
class _Version:
    token: str | None
    at: float


class BigQueryWarehouse:
    """:class:`~shared.adapters.warehouse.port.Warehouse` on one BigQuery project."""

    def __init__(
        self,
        *,
        project: str,
        location: str | None = None,
        service_account_info: dict[str, Any] | None = None,
        credentials: Any = None,
        client_options: dict[str, Any] | None = None,
        catalog_byte_cap: int = CATALOG_BYTE_CAP,
    ) -> None:
        if not isinstance(project, str) or not _PROJECT.fullmatch(project):
            raise BadRequest(f"invalid BigQuery project id {project!r}", details={"project": project})
        if location is not None and not _LOCATION.fullmatch(location):
            raise BadRequest(f"invalid BigQuery location {location!r}", details={"location": location})
        self.project = project
        self.location = location
        self.catalog_byte_cap = catalog_byte_cap
        self._info = service_account_info
        self._credentials = credentials
        self._client_options = client_options
        self._lock = threading.Lock()
        self._client: Any = None
        self._versions: dict[tuple[str, ...], _Version] = {}

    # -- client ---------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``bigquery.Client``, created on first use from the service-account JSON."""
        with self._lock:
            if self._client is None:
                from google.cloud.bigquery import Client

                credentials = self._credentials
                if credentials is None and self._info is not None:
                    from google.oauth2 import service_account

                    try:
                        credentials = service_account.Credentials.from_service_account_info(
                            self._info, scopes=SCOPES
                        )
                    except (ValueError, KeyError, TypeError) as e:
                        # The message could quote key material: name only the kind of problem.
                        raise WarehouseError(
                            f"the connection's service-account key is not usable ({type(e).__name__})"
                        ) from None
                self._client = Client(
                    project=self.project,
                    credentials=credentials,
                    location=self.location,
                    client_options=self._client_options,
                )
            return self._client

    # -- port -----------------------------------------------------------------------------------

    def validate(self) -> None:
        """Dry-run ``SELECT 1``: proves the key, the project and the jobs permission."""
        self.dry_run("SELECT 1")

    def dry_run(self, sql: str, params: tuple[QueryParam, ...] = ()) -> DryRun:
        """Bytes ``sql`` would process and its result schema, from a dry-run job (nothing is billed)."""
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            dry_run=True,
            use_query_cache=False,
            query_parameters=_parameters(params),
            labels=job_labels({}, kind="dry_run"),
        )
        try:
            job = self.client.query(sql, job_config=config, location=self.location)
        except Exception as e:
            raise _mapped(e) from e
        return DryRun(
            total_bytes_processed=int(job.total_bytes_processed or 0),
            schema=tuple(
                Column(f.name, bigquery_type(f.field_type, f.mode), f.description) for f in job.schema or ()
            ),
            referenced_tables=tuple(
                sorted(f"{t.project}.{t.dataset_id}.{t.table_id}" for t in job.referenced_tables or ())
            ),
        )

    def query(self, sql: str, params: tuple[QueryParam, ...], options: QueryOptions) -> QueryResult:
        """Run ``sql`` with ``maximum_bytes_billed`` set; :class:`ByteCapExceeded` when BigQuery refuses."""
        cap = options.max_bytes_billed
        # BigQuery reads 0 or a missing cap as "no limit": never send one.
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise BadRequest(f"max_bytes_billed must be a positive number of bytes, got {cap!r}")
        if options.row_limit < 0:
            raise BadRequest("row_limit must not be negative")
        rows, schema, meta = self._run(
            sql,
            params,
            cap=cap,
            labels=options.labels,
            timeout_s=options.timeout_s,
            limit=options.row_limit + 1,
        )
        return QueryResult(
            columns=schema,
            rows=rows[: options.row_limit],
            truncated=len(rows) > options.row_limit,
            bytes_processed=meta["bytes_processed"],
            bytes_billed=meta["bytes_billed"],
            job_id=meta["job_id"],
        )

    def scan_catalog(self) -> list[DatasetInfo]:
        """Every dataset with tables and columns: one INFORMATION_SCHEMA query per location."""
        locations = self._dataset_locations()
        datasets: dict[str, DatasetInfo] = {}
        for location in sorted(locations):
            rows, _, _ = self._run(
                catalog_sql(self.project, location),
                (),
                cap=self.catalog_byte_cap,
                labels={},
                timeout_s=120.0,
                limit=None,
                kind="catalog",
            )
            datasets.update({d.fully_qualified_name: d for d in _catalog_from_rows(self.project, rows)})
        return [datasets[name] for name in sorted(datasets)]

    def table(self, fully_qualified_name: str) -> TableInfo:
        """One table from ``tables.get``; :class:`NotFound` when it does not exist."""
        project, dataset, table = self._split(fully_qualified_name)
        from google.api_core import exceptions as gexc

        try:
            t = self.client.get_table(f"{project}.{dataset}.{table}")
        except gexc.NotFound:
            raise NotFound(f"Table {project}.{dataset}.{table} not found") from None
        except Exception as e:
            raise _mapped(e) from e
        partitioning = t.time_partitioning.field if t.time_partitioning else None
        if t.time_partitioning and not partitioning:
            partitioning = "_PARTITIONTIME"
        if t.range_partitioning:
            partitioning = t.range_partitioning.field
        return TableInfo(
            fully_qualified_name=f"{t.project}.{t.dataset_id}.{t.table_id}",
            table_type={"TABLE": "BASE TABLE"}.get(t.table_type or "TABLE", t.table_type or "BASE TABLE"),
            row_count=t.num_rows,
            size_bytes=t.num_bytes,
            description=t.description,
            partitioning=partitioning,
            clustering=tuple(t.clustering_fields or ()),
            last_modified=t.modified,
            columns=tuple(
                Column(f.name, bigquery_type(f.field_type, f.mode), f.description) for f in t.schema
            ),
        )

    def data_version(self, tables: tuple[str, ...]) -> str | None:
        """A hash of the tables' ``modified`` times, cached for ``DATA_VERSION_TTL_S`` seconds."""
        key = tuple(sorted(tables))
        with self._lock:
            cached = self._versions.get(key)
        if cached is not None and time.monotonic() - cached.at < DATA_VERSION_TTL_S:
            return cached.token
        stamps: list[str] = []
        for name in key:
            try:
                modified = self.table(name).last_modified
            except BridgeError:
                modified = None
            if modified is None:
                token = None
                break
            stamps.append(f"{name}@{modified.isoformat()}")
        else:
            token = hashlib.sha256("\n".join(stamps).encode()).hexdigest()[:32] if stamps else None
        with self._lock:
            self._versions[key] = _Version(token, time.monotonic())
        return token

    # -- internals ------------------------------------------------------------------------------

    def _run(
        self,
        sql: str,
        params: tuple[QueryParam, ...],
        *,
        cap: int,
        labels: dict[str, str],
        timeout_s: float,
        limit: int | None,
        kind: str = "query",
    ) -> tuple[list[tuple[Any, ...]], tuple[Column, ...], dict[str, Any]]:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            maximum_bytes_billed=cap,
            labels=job_labels(labels, kind=kind),
            query_parameters=_parameters(params),
            job_timeout_ms=int(timeout_s * 1000),
        )
        try:
            result = self.client.query_and_wait(
                sql,
                job_config=config,
                location=self.location,
                wait_timeout=timeout_s,
                max_results=limit,
            )
            fetched = [tuple(_value(v) for v in row.values()) for row in itertools.islice(result, limit)]
        except Exception as e:
            raise _mapped(e, cap=cap) from e
        schema = tuple(Column(f.name, bigquery_type(f.field_type, f.mode)) for f in result.schema or ())
        # jobs.query reports bytes processed, not bytes billed (0 here means "not reported").
        processed = int(getattr(result, "total_bytes_processed", None) or 0)
        meta = {"bytes_processed": processed, "bytes_billed": 0, "job_id": result.job_id}
        return fetched, schema, meta

    def _dataset_locations(self) -> set[str]:
        locations = {self.location} if self.location else set()
        try:
            for item in self.client.list_datasets(self.project):
                # datasets.list returns each dataset's location; the list item exposes it only here.
                location = item._properties.get("location")
                if location:
                    locations.add(location)
        except Exception as e:
            raise _mapped(e) from e
        return locations or {"US"}

    def _split(self, name: str) -> tuple[str, str, str]:
        parts = [p for p in name.replace("`", "").split(".") if p]
        if len(parts) == 2:
            parts = [self.project, *parts]
        if len(parts) != 3:
            raise BadRequest(f"expected project.dataset.table, got {name!r}", details={"table": name})
        return parts[0], parts[1], parts[2]


def catalog_sql(project: str, location: str) -> str:
    """The single INFORMATION_SCHEMA query reading every dataset, table and column of a location."""
    if not _PROJECT.fullmatch(project) or not _LOCATION.fullmatch(location):
        raise BadRequest(f"invalid project {project!r} or location {location!r}")
    region = f"`{project}`.`region-{location.lower()}`.INFORMATION_SCHEMA"
    return f"""
SELECT
  s.schema_name AS dataset, s.location AS location, so.option_value AS dataset_description,
  t.table_name AS table_name, t.table_type AS table_type,
  ts.total_rows AS row_count, ts.total_logical_bytes AS size_bytes,
  ts.storage_last_modified_time AS last_modified, tob.option_value AS table_description,
  c.column_name AS column_name, c.data_type AS data_type,
  c.is_partitioning_column AS is_partitioning, c.clustering_ordinal_position AS clustering_position,
  cf.description AS column_description
FROM {region}.SCHEMATA AS s
LEFT JOIN {region}.SCHEMATA_OPTIONS AS so
  ON so.schema_name = s.schema_name AND so.option_name = 'description'
LEFT JOIN {region}.TABLES AS t ON t.table_schema = s.schema_name
LEFT JOIN {region}.TABLE_STORAGE AS ts
  ON ts.table_schema = t.table_schema AND ts.table_name = t.table_name
LEFT JOIN {region}.TABLE_OPTIONS AS tob
  ON tob.table_schema = t.table_schema AND tob.table_name = t.table_name AND tob.option_name = 'description'
LEFT JOIN {region}.COLUMNS AS c
  ON c.table_schema = t.table_schema AND c.table_name = t.table_name
LEFT JOIN {region}.COLUMN_FIELD_PATHS AS cf
  ON cf.table_schema = c.table_schema AND cf.table_name = c.table_name AND cf.field_path = c.column_name
ORDER BY dataset, table_name, c.ordinal_position
""".strip()


def _catalog_from_rows(project: str, rows: list[tuple[Any, ...]]) -> list[DatasetInfo]:
    """Fold the catalog query's one-row-per-column result into datasets, tables and columns."""
    datasets: dict[str, dict[str, Any]] = {}
    tables: dict[tuple[str, str], dict[str, Any]] = {}
    for (
        dataset, location, ds_desc, table, kind, rows_n, size, modified, t_desc,
        column, data_type, is_partitioning, clustering_position, c_desc,
    ) in rows:  # fmt: skip
        datasets.setdefault(dataset, {"location": location, "description": _option(ds_desc), "tables": []})
        if table is None:
            continue
        key = (dataset, table)
        if key not in tables:
            tables[key] = {
                "kind": kind, "rows": rows_n, "size": size, "modified": modified,
                "description": _option(t_desc), "columns": [], "partitioning": None, "clustering": {},
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


def _parameters(params: tuple[QueryParam, ...]) -> list[Any]:
    from google.cloud import bigquery

    converted = []
    for p in params:
        kind = _PARAM_TYPES.get(p.type.upper(), p.type.upper())
        value = p.value
        if kind == "DATE" and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise WarehouseError(f"Query parameter @{p.name}: {value!r} is not a valid DATE") from None
        if kind in ("TIMESTAMP", "DATETIME") and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise WarehouseError(f"Query parameter @{p.name}: {value!r} is not a valid {kind}") from None
        converted.append(bigquery.ScalarQueryParameter(p.name, kind, value))
    return converted


def _value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return value


def _mapped(error: Exception, *, cap: int | None = None) -> BridgeError:
    """The Bridge error for a BigQuery, auth or transport failure."""
    if isinstance(error, BridgeError):
        return error
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exceptions

    if isinstance(error, concurrent.futures.TimeoutError | TimeoutError | gexc.DeadlineExceeded):
        return Timeout("BigQuery did not finish the query in time")
    if isinstance(error, auth_exceptions.RefreshError):
        return WarehouseError(f"Google rejected the connection's credentials: {error}")
    if isinstance(error, auth_exceptions.TransportError):
        return Unavailable("could not reach Google to authenticate the connection")
    if not isinstance(error, gexc.GoogleAPICallError):
        import requests

        if isinstance(error, requests.Timeout):
            return Timeout("BigQuery did not answer in time")
        if isinstance(error, requests.RequestException):
            return Unavailable("could not reach BigQuery")
        raise error
    reasons = {str(e.get("reason")) for e in (error.errors or []) if isinstance(e, dict)}
    message = str(error.message or error)
    if "bytesBilledLimitExceeded" in reasons:
        required = _REQUIRED_BYTES.search(message)
        details: dict[str, Any] = {"max_bytes_billed": cap}
        if required:
            details["bytes_required"] = int(required.group(1))
        needed = f"; it needs {int(required.group(1)):,} bytes" if required else ""
        return ByteCapExceeded(
            f"Query would bill more than the cap of {cap or 0:,} bytes{needed}"
            f" (BigQuery bills at least {MIN_BILLED_BYTES:,} bytes per table read)",
            details=details,
        )
    if reasons & {"timeout", "jobTimeout"} or isinstance(error, gexc.GatewayTimeout):
        return Timeout(f"BigQuery stopped the query: {message}")
    if reasons & _UNAVAILABLE_REASONS or (error.code or 0) >= 500 or error.code == 429:
        return Unavailable(f"BigQuery is unavailable right now: {message}")
    return WarehouseError(message)
