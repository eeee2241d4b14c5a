"""The warehouse on BigQuery (google-cloud-bigquery), with the byte cap enforced by BigQuery.

- ``dry_run``: a dry-run query job (no cache) reports ``total_bytes_processed`` and the schema.
- ``query``: ``client.query_and_wait`` with ``maximum_bytes_billed`` always set, labels (``app``,
  ``team``, ``dashboard``...), a job timeout and at most ``row_limit + 1`` rows fetched. BigQuery
  refuses a job that would bill more with reason ``bytesBilledLimitExceeded`` →
  :class:`ByteCapExceeded`. BigQuery bills at least 10 MiB per table a query reads, so a cap
  below 10 MiB (10,485,760 bytes) refuses every query that reads a table; it is still a cap.
- Job location: BigQuery runs a job where the data it reads lives and refuses a job placed in
  another location. Queries and dry runs therefore send no location and BigQuery places them
  by the tables they read; each catalog query runs in the region it reads.
- ``scan_catalog``: one ``datasets.list`` to learn the datasets' locations, then ONE query per
  location over that region's INFORMATION_SCHEMA (SCHEMATA, TABLES, TABLE_STORAGE without the
  ``deleted`` rows of dropped tables, TABLE_OPTIONS, COLUMNS, COLUMN_FIELD_PATHS), never one
  API call per table. Region views need ``bigquery.tables.list`` on the project (e.g.
  ``roles/bigquery.metadataViewer``); when BigQuery answers 403, the region's datasets are read
  one by one from their dataset-level views (no dataset descriptions there).
- ``sample_values``: the scan's sample of categorical values, one ``TABLESAMPLE SYSTEM`` query
  per location (tables of one block are read whole), ``maximum_bytes_billed`` = what is left
  of the sampling's budget (see samples.py).
- ``data_version``: the tables' ``modified`` times (``tables.get``), cached briefly.

The client is built lazily from the connection's service-account JSON, or for a keyless
connection from short-lived tokens of the team's Bridge-owned account (``impersonate``, see
keyless.py), or the function's own identity when there is neither; and google-cloud-bigquery is imported on first use.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import itertools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.adapters.warehouse.bigquery_catalog import (
    DATASET_ID,
    LOCATION,
    catalog_from_rows,
    catalog_sql,
    dataset_catalog_sql,
)
from shared.adapters.warehouse.port import (
    Column,
    DatasetInfo,
    DryRun,
    QueryOptions,
    QueryParam,
    QueryResult,
    SampleLimits,
    Samples,
    TableInfo,
)
from shared.adapters.warehouse.samples import bigquery_price, bigquery_sql, fold, percent_for, planned
from shared.adapters.warehouse.values import json_cell
from shared.errors import (
    BadRequest,
    BridgeError,
    ByteCapExceeded,
    NotFound,
    Timeout,
    Unavailable,
    WarehouseAccessDenied,
    WarehouseError,
)

MIN_BILLED_BYTES = 10 * 1024 * 1024  # BigQuery's minimum per table read (on-demand pricing)
CATALOG_BYTE_CAP = 1_000_000_000  # INFORMATION_SCHEMA scans bill too
DATA_VERSION_TTL_S = 30.0
SCOPES = ("https://www.googleapis.com/auth/bigquery",)

_PROJECT = re.compile(r"[a-z0-9][a-z0-9.:-]{0,62}[a-z0-9]", re.IGNORECASE)
_PARTITION_FILTER = re.compile(
    r"Cannot query over table '([^']+)' without a filter over column\(s\) '([^']+)'"
)
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
        impersonate: str | None = None,
        iam_endpoint: str | None = None,
        client_options: dict[str, Any] | None = None,
        catalog_byte_cap: int = CATALOG_BYTE_CAP,
    ) -> None:
        if not isinstance(project, str) or not _PROJECT.fullmatch(project):
            raise BadRequest(f"invalid BigQuery project id {project!r}", details={"project": project})
        if location is not None and not LOCATION.fullmatch(location):
            raise BadRequest(f"invalid BigQuery location {location!r}", details={"location": location})
        self.project = project
        self.location = location
        self.catalog_byte_cap = catalog_byte_cap
        self._info = service_account_info
        self._credentials = credentials
        self._impersonate = impersonate
        self._iam_endpoint = iam_endpoint
        self._client_options = client_options
        self._lock = threading.Lock()
        self._client: Any = None
        self._versions: dict[tuple[str, ...], _Version] = {}
        self._locations: dict[str, str] = {}  # dataset → location, from the last datasets.list

    # -- client ---------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``bigquery.Client``, created on first use from the service-account JSON."""
        with self._lock:
            if self._client is None:
                from google.cloud.bigquery import Client

                credentials = self._credentials
                if self._impersonate is not None:
                    from shared.adapters.warehouse.keyless import impersonated

                    # Keyless: the team's Bridge-owned reader account, from this function's identity.
                    credentials = impersonated(
                        self._impersonate, scopes=SCOPES, source=credentials, iam_endpoint=self._iam_endpoint
                    )
                elif credentials is None and self._info is not None:
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
                # No client-wide location: each job is placed by what it reads (see the module doc).
                self._client = Client(
                    project=self.project, credentials=credentials, client_options=self._client_options
                )
            return self._client

    # -- port -----------------------------------------------------------------------------------

    def validate(self) -> None:
        """Dry-run ``SELECT 1``: proves the credentials, the project and the jobs permission."""
        self.dry_run("SELECT 1", location=self.location)

    def dry_run(
        self, sql: str, params: tuple[QueryParam, ...] = (), *, location: str | None = None
    ) -> DryRun:
        """Bytes ``sql`` would process and its result schema, from a dry-run job (nothing is billed)."""
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            dry_run=True,
            use_query_cache=False,
            query_parameters=_parameters(params),
            labels=job_labels({}, kind="dry_run"),
        )
        try:
            job = self.client.query(sql, job_config=config, location=location)
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
            convert=json_cell if options.json_cells else _value,
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
        by_location: dict[str, list[str]] = {}
        for dataset, location in self._dataset_locations().items():
            by_location.setdefault(location, []).append(dataset)
        datasets: dict[str, DatasetInfo] = {}
        for location, names in sorted(by_location.items()):
            try:
                rows = self._catalog_rows(catalog_sql(self.project, location), location)
            except WarehouseAccessDenied:
                # Region views need project-level metadata access; dataset views need only the dataset.
                rows = [r for name in sorted(names) for r in self._dataset_catalog_rows(name, location)]
            found = {d.fully_qualified_name: d for d in catalog_from_rows(self.project, rows)}
            for name in names:  # a dataset without tables has no row in the dataset-level views
                fqn = f"{self.project}.{name}"
                found.setdefault(fqn, DatasetInfo(fully_qualified_name=fqn, location=location))
            datasets.update(found)
        return [datasets[name] for name in sorted(datasets)]

    def sample_values(self, tables: Sequence[TableInfo], limits: SampleLimits) -> Samples:
        """Top values of STRING columns from ``TABLESAMPLE SYSTEM``: one query per location,
        capped at what the budget has left; a refused or late location is left out."""
        locations = self._locations or self._dataset_locations()
        chosen, _ = planned(tables, limits, lambda t, cols: bigquery_price(t, cols, limits))
        groups: dict[str, list[tuple[TableInfo, list[str]]]] = {}
        for t, cols in chosen:
            location = locations.get(self._split(t.fully_qualified_name)[1])
            if location is not None:
                groups.setdefault(location, []).append((t, cols))
        end, left, out, used = time.monotonic() + limits.timeout_s, limits.max_bytes_billed, {}, 0
        for location, group in sorted(groups.items()):
            parts = [
                bigquery_sql(i, ".".join(f"`{p}`" for p in self._split(t.fully_qualified_name)), cols,
                             percent_for(t, limits), limits)
                for i, (t, cols) in enumerate(group)
            ]  # fmt: skip
            if end - time.monotonic() < 1 or left < 1:
                break
            try:
                rows, _, meta = self._run(" UNION ALL ".join(parts), (), cap=left, labels={},
                                          timeout_s=end - time.monotonic(), limit=None,
                                          kind="catalog_sample", location=location)  # fmt: skip
            except BridgeError:
                continue
            left -= max(meta["bytes_processed"], sum(bigquery_price(t, c, limits) for t, c in group))
            found, used = fold(rows, group, limits, used)
            out.update(found)
        return out

    def _catalog_rows(self, sql: str, location: str) -> list[tuple[Any, ...]]:
        rows, _, _ = self._run(
            sql,
            (),
            cap=self.catalog_byte_cap,
            labels={},
            timeout_s=120.0,
            limit=None,
            kind="catalog",
            location=location,
        )
        return rows

    def _dataset_catalog_rows(self, dataset: str, location: str) -> list[tuple[Any, ...]]:
        return self._catalog_rows(dataset_catalog_sql(self.project, dataset, location), location)

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
            require_partition_filter=bool(t.require_partition_filter),
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
        location: str | None = None,
        convert: Callable[[Any], Any] | None = None,
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
                location=location,
                wait_timeout=timeout_s,
                max_results=limit,
            )
            one = convert or _value
            fetched = [tuple(one(v) for v in row.values()) for row in itertools.islice(result, limit)]
        except Exception as e:
            raise _mapped(e, cap=cap) from e
        schema = tuple(Column(f.name, bigquery_type(f.field_type, f.mode)) for f in result.schema or ())
        # jobs.query reports bytes processed, not bytes billed (0 here means "not reported").
        processed = int(getattr(result, "total_bytes_processed", None) or 0)
        meta = {"bytes_processed": processed, "bytes_billed": 0, "job_id": result.job_id}
        return fetched, schema, meta

    def _dataset_locations(self) -> dict[str, str]:
        """dataset id → location, from one paged ``datasets.list``."""
        locations: dict[str, str] = {}
        try:
            for item in self.client.list_datasets(self.project):
                # datasets.list returns each dataset's location; the list item exposes it only here.
                location = item._properties.get("location")
                if location and LOCATION.fullmatch(location) and DATASET_ID.fullmatch(item.dataset_id):
                    locations[item.dataset_id] = location
        except Exception as e:
            raise _mapped(e) from e
        self._locations = locations
        return locations

    def _split(self, name: str) -> tuple[str, str, str]:
        parts = [p for p in name.replace("`", "").split(".") if p]
        if len(parts) == 2:
            parts = [self.project, *parts]
        if len(parts) != 3:
            raise BadRequest(f"expected project.dataset.table, got {name!r}", details={"table": name})
        return parts[0], parts[1], parts[2]


def _parameters(params: tuple[QueryParam, ...]) -> list[Any]:
    from google.cloud import bigquery

    converted: list[Any] = []
    for p in params:
        kind = _PARAM_TYPES.get(p.type.upper(), p.type.upper())
        value = p.value
        if kind.startswith("ARRAY<") and kind.endswith(">"):
            inner = kind[len("ARRAY<") : -1]
            converted.append(bigquery.ArrayQueryParameter(p.name, inner, list(value or ())))
            continue
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
    partition = _PARTITION_FILTER.search(message)
    if partition:
        from shared.adapters.warehouse.partition_rule import partition_filter_required

        return partition_filter_required(
            partition.group(1), [c.strip() for c in partition.group(2).split(",")]
        )
    if "accessDenied" in reasons:
        return WarehouseAccessDenied(message)
    if reasons & {"timeout", "jobTimeout"} or isinstance(error, gexc.GatewayTimeout):
        return Timeout(f"BigQuery stopped the query: {message}")
    if reasons & _UNAVAILABLE_REASONS or (error.code or 0) >= 500 or error.code == 429:
        return Unavailable(f"BigQuery is unavailable right now: {message}")
    return WarehouseError(message)
