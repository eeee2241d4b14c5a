"""The embedded warehouse: a DuckDB file served through the BigQuery-shaped ``Warehouse`` port.

The file is attached read-only under the catalog alias ``project``, so ``project.dataset.table``
names resolve as DuckDB ``catalog.schema.table``; schemas are datasets. BigQuery SQL is
transpiled with sqlglot, ``@name`` parameters are bound as DuckDB parameters, and byte counts are
estimated from column sizes (see :mod:`shared.adapters.warehouse.bytes_estimate`). File system access from
SQL is disabled, and only single SELECT queries run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb

from shared.adapters.warehouse.bytes_estimate import Schema, TableKey, TableRead, estimate_bytes
from shared.adapters.warehouse.dialect import bigquery_type
from shared.adapters.warehouse.duckdb_call import DeadlineCall
from shared.adapters.warehouse.duckdb_files import SOURCE_ALIAS, UNAVAILABLE, open_snapshot
from shared.adapters.warehouse.duckdb_prepared import (
    VersionMemo,
    partition_shares,
    prepared_reads,
    prepared_text,
)
from shared.adapters.warehouse.duckdb_rows import converted_rows
from shared.adapters.warehouse.duckdb_sizes import ColumnSizes, scan_sizes
from shared.adapters.warehouse.partition_rule import FLAGGED_SQL
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
from shared.adapters.warehouse.samples import duckdb_sql, fold, planned
from shared.adapters.warehouse.size_bounds import check_sizes
from shared.adapters.warehouse.values import cell, json_cell
from shared.errors import ByteCapExceeded, NotFound, Timeout, WarehouseError

META_SCHEMA = "_bridge"
_HIDDEN_SCHEMAS = frozenset({META_SCHEMA, "information_schema", "pg_catalog"})
_RESERVED_ALIASES = frozenset({"memory", "system", "temp", "main", SOURCE_ALIAS})
IDLE_CURSORS = 8  # idle cursors kept per warehouse (each call takes one; more are opened when busy)


@dataclass(frozen=True)
class _Catalog:
    version: str | None
    datasets: tuple[DatasetInfo, ...]
    tables: dict[TableKey, TableInfo]
    sizes: ColumnSizes
    memo: VersionMemo = field(default_factory=VersionMemo, compare=False)  # this version's analyses

    @cached_property
    def partitioning(self) -> dict[TableKey, str]:
        return {key: info.partitioning.lower() for key, info in self.tables.items() if info.partitioning}

    @cached_property
    def schema(self) -> Schema:
        return {key: {c.name.lower(): c.type for c in info.columns} for key, info in self.tables.items()}


@dataclass(frozen=True)
class _Plan:
    duckdb_sql: str
    bound: dict[str, Any]
    dry_run: DryRun


class DuckDBWarehouse:
    """A DuckDB file (the demo dataset or a user's own) as a read-only BigQuery-like warehouse.

    ``allow`` maps the configured path to the file that may be opened (None: refused); by default
    any file is. Each port call runs under one deadline (``timeout_s`` for dry runs and catalog
    reads, the query's own for queries) covering planning, estimates and execution alike.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        project: str = "demo",
        allow: Callable[[Path], Path | None] | None = None,
        memory_limit_mb: int = 1024,
        timeout_s: float = 60.0,
    ) -> None:
        if not project or project.lower() in _RESERVED_ALIASES:
            raise WarehouseError(f"Project name {project!r} cannot be used for a local warehouse")
        self.path = Path(path)
        self.project = project
        self.timeout_s = timeout_s
        self._allow = allow or (lambda p: p.resolve())
        self._memory_limit_mb = memory_limit_mb
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._conn_version: str | None = None
        self._catalog: _Catalog | None = None
        self._idle: list[duckdb.DuckDBPyConnection] = []  # cursors of _conn, USE already run

    # -- connection -----------------------------------------------------------------------

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor of the current snapshot (no ``USE`` run on it yet)."""
        version = self.data_version(())
        with self._lock:
            if self._conn is None or version != self._conn_version:
                # The old connection is dropped, not closed: queries still running on it finish.
                self._conn = self._open()
                self._conn_version = version
                self._catalog = None
                idle, self._idle = self._idle, []
                for old in idle:
                    old.close()
            return self._conn.cursor()

    def _take_cursor(self) -> tuple[duckdb.DuckDBPyConnection, str | None]:
        """An idle cursor of the current snapshot (``USE`` already run), else a new one set up."""
        version = self.data_version(())
        with self._lock:
            if self._conn is not None and version == self._conn_version and self._idle:
                return self._idle.pop(), version
        cursor = self._connection()
        try:
            self._use(cursor)
        except duckdb.Error:
            cursor.close()
            raise WarehouseError(UNAVAILABLE) from None
        return cursor, version

    def _use(self, cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.execute(f"USE {_ident(self.project)}")

    def _give_back(self, cursor: duckdb.DuckDBPyConnection, version: str | None) -> None:
        """Keep ``cursor`` for the next call (at most ``IDLE_CURSORS``), unless its snapshot is gone."""
        with self._lock:
            if version == self._conn_version and len(self._idle) < IDLE_CURSORS:
                self._idle.append(cursor)
                return
        cursor.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            source = self._allow(self.path)
            if source is None or not source.is_file():
                raise WarehouseError(UNAVAILABLE)
            return open_snapshot(source, _ident(self.project), memory_limit_mb=self._memory_limit_mb)
        except (duckdb.Error, OSError, ValueError):
            raise WarehouseError(UNAVAILABLE) from None

    @contextmanager
    def _cursor(self, timeout_s: float | None = None) -> Iterator[DeadlineCall]:
        """One port call: a cursor whose every statement runs under the call's one deadline.

        Cursors are reused (their ``USE`` runs once per cursor, not per call); one the deadline
        may have interrupted, whose call failed or that still has rows unread is closed instead."""
        cursor, version = self._take_cursor()
        call = DeadlineCall(cursor, timeout_s if timeout_s is not None else self.timeout_s)
        ok = False
        try:
            yield call
            ok = True
        finally:
            if call.release() and ok and call.reusable:
                self._give_back(cursor, version)
            else:
                cursor.close()

    def _run(
        self, call: DeadlineCall, sql: str, params: dict[str, Any] | None = None
    ) -> duckdb.DuckDBPyConnection:
        """Every statement of a query or an estimate goes through here."""
        return call.run(sql, params)

    # -- Warehouse port -------------------------------------------------------------------

    def validate(self) -> None:
        """Run ``SELECT 1``; WarehouseError when the file is missing or not a DuckDB database."""
        self.dry_run("SELECT 1")

    def scan_catalog(self) -> list[DatasetInfo]:
        """Every dataset (schema) with its tables and columns, in a fixed number of queries."""
        with self._cursor() as call:
            return list(self._load_catalog(call).datasets)

    def table(self, fully_qualified_name: str) -> TableInfo:
        """One table by ``project.dataset.table`` or ``dataset.table``; NotFound when absent."""
        key = self._table_key(fully_qualified_name)
        with self._cursor() as call:
            catalog = self._load_catalog(call)
            info = catalog.tables.get(key) if key else None
            if info is None or key is None:
                raise NotFound(f"Table {fully_qualified_name} not found in project {self.project}")
            if info.row_count is None:
                return info
            sizes = catalog.sizes.exact(lambda q: self._run(call, q), [key])[key]
        return replace(info, size_bytes=sum(sizes.values()))

    def sample_values(self, tables: Sequence[TableInfo], limits: SampleLimits) -> Samples:
        """Top values of the tables' STRING columns from a reservoir of rows, under one deadline.

        A table is priced as its sampled columns' stored bytes (the reservoir reads them whole);
        statements batch 25 tables; the deadline ends the sampling with what it has.
        """
        rows: list[tuple[Any, ...]] = []
        done: list[tuple[TableInfo, list[str]]] = []
        try:
            with self._cursor(limits.timeout_s) as call:
                catalog = self._load_catalog(call)

                def cost(table: TableInfo, columns: list[str]) -> int:
                    key = self._table_key(table.fully_qualified_name) or ("", "")
                    return sum(catalog.sizes.estimate(key).get(c.lower(), 0) for c in columns)

                chosen, _ = planned(tables, limits, cost)
                for start in range(0, len(chosen), 25):
                    batch = chosen[start : start + 25]
                    parts = [
                        duckdb_sql(len(done) + i, self._relation(t.fully_qualified_name), cols, limits)
                        for i, (t, cols) in enumerate(batch)
                    ]
                    try:
                        rows += self._run(call, " UNION ALL ".join(parts)).fetchall()
                    except duckdb.Error:
                        continue  # a table that cannot be read now: left out
                    done += batch
        except Timeout:
            pass  # the deadline: what was sampled so far
        return fold(rows, done, limits)[0]

    def dry_run(self, sql: str, params: tuple[QueryParam, ...] = ()) -> DryRun:
        """Validate ``sql`` against the file and estimate the bytes it would process."""
        with self._cursor() as call:
            return self._plan(call, sql, params).dry_run

    def query(self, sql: str, params: tuple[QueryParam, ...], options: QueryOptions) -> QueryResult:
        """Run ``sql`` unless its estimate exceeds the byte cap; at most ``row_limit`` rows back.

        Planning, the estimate and the execution share the one deadline ``options.timeout_s``."""
        with self._cursor(options.timeout_s) as call:
            plan = self._plan(call, sql, params, describe=False)  # the result has its own schema
            estimate = plan.dry_run.total_bytes_processed
            if estimate > options.max_bytes_billed:
                raise ByteCapExceeded(
                    f"Query would process {estimate:,} bytes, over the cap of {options.max_bytes_billed:,} bytes",
                    details={"bytes_estimated": estimate, "max_bytes_billed": options.max_bytes_billed},
                )
            try:
                self._run(call, plan.duckdb_sql, plan.bound)
                with call.interruptible():
                    description = call.cursor.description or []
                    fetched = call.cursor.fetchmany(options.row_limit + 1)
                call.reusable = len(fetched) <= options.row_limit  # else rows are left unread on it
            except duckdb.Error as error:
                raise WarehouseError(_clean(error)) from None
        columns = tuple(Column(name, bigquery_type(str(typ))) for name, typ, *_ in description)
        convert = json_cell if options.json_cells else cell
        return QueryResult(
            columns=columns,
            rows=converted_rows(
                fetched[: options.row_limit], [str(typ) for _, typ, *_ in description], convert
            ),
            truncated=len(fetched) > options.row_limit,
            bytes_processed=estimate,
            bytes_billed=estimate,
        )

    def data_version(self, tables: tuple[str, ...]) -> str | None:
        """``mtime_ns-size`` of the file: any rewrite changes it. None when the file is missing."""
        try:
            stat = self.path.stat()
        except (OSError, ValueError):
            return None
        return f"{stat.st_mtime_ns}-{stat.st_size}"

    # -- planning -------------------------------------------------------------------------

    def _plan(
        self, call: DeadlineCall, sql: str, params: tuple[QueryParam, ...], *, describe: bool = True
    ) -> _Plan:
        """The DuckDB text, bound values and estimate of ``sql`` (its schema with ``describe``)."""
        text = prepared_text(sql)
        transpiled = text.transpiled
        given = {p.name: p for p in params}
        missing = [name for name in transpiled.parameters if name not in given]
        if missing:
            raise WarehouseError(f"Query parameter @{missing[0]} has no value")
        bound = {name: _bind(given[name]) for name in transpiled.parameters}
        if text.sized:
            check_sizes(transpiled.expression, bound)
        schema: tuple[Column, ...] = ()
        if describe:
            try:
                described = call.run(f"DESCRIBE {transpiled.duckdb_sql}", bound or None).fetchall()
            except duckdb.Error as error:
                raise WarehouseError(_clean(error)) from None
            schema = tuple(Column(str(name), bigquery_type(str(typ))) for name, typ, *_ in described)
        referenced: dict[TableKey, TableRead] = {}
        total = 0
        if text.names_tables:
            catalog = self._load_catalog(call)
            reads = prepared_reads(
                catalog.memo,
                sql,
                text,
                project=self.project,
                schema=catalog.schema,
                partitioning=catalog.partitioning,
                tables=catalog.tables,
                relation=lambda key: f"{_ident(self.project)}.{_ident(key[0])}.{_ident(key[1])}",
            )
            referenced = reads.reads
            kept = partition_shares(catalog.memo, reads.counts, bound, lambda q, p: self._count(call, q, p))
            sizes = catalog.sizes.exact(lambda q: self._run(call, q), referenced)
            total = estimate_bytes(referenced, sizes, kept)
        dry_run = DryRun(
            total_bytes_processed=total,
            schema=schema,
            referenced_tables=tuple(sorted(f"{self.project}.{ds}.{t}" for ds, t in referenced)),
        )
        return _Plan(duckdb_sql=transpiled.duckdb_sql, bound=bound, dry_run=dry_run)

    def _count(self, call: DeadlineCall, sql: str, params: dict[str, Any] | None) -> tuple[Any, ...] | None:
        """One partition-counting query's row; None when DuckDB cannot run it."""
        try:
            return self._run(call, sql, params).fetchone() or (0,)
        except duckdb.Error:
            return None

    def _relation(self, fully_qualified_name: str) -> str:
        _project, schema, table = fully_qualified_name.split(".", 2)
        return f"{_ident(self.project)}.{_ident(schema)}.{_ident(table)}"

    def _table_key(self, name: str) -> TableKey | None:
        parts = [p for p in name.replace("`", "").split(".") if p]
        if len(parts) == 3 and parts[0].lower() == self.project.lower():
            parts = parts[1:]
        if len(parts) != 2:
            return None
        return (parts[0].lower(), parts[1].lower())

    # -- catalog --------------------------------------------------------------------------

    def _load_catalog(self, call: DeadlineCall) -> _Catalog:
        version = self.data_version(())
        catalog = self._catalog
        if catalog is not None and catalog.version == version:
            return catalog
        try:
            catalog = self._read_catalog(call, version)
        except duckdb.Error as error:
            raise WarehouseError(f"Cannot read the catalog of {self.project}: {_clean(error)}") from None
        with self._lock:
            self._catalog = catalog
        return catalog

    def _read_catalog(self, cursor: DeadlineCall, version: str | None) -> _Catalog:
        db = {"db": self.project}
        relations = self._run(
            cursor,
            "SELECT schema_name, table_name, 'BASE TABLE', estimated_size, comment FROM duckdb_tables()"
            " WHERE database_name = $db AND NOT internal"
            " UNION ALL SELECT schema_name, view_name, 'VIEW', NULL, comment FROM duckdb_views()"
            " WHERE database_name = $db AND NOT internal ORDER BY 1, 2",
            db,
        ).fetchall()
        columns = self._run(
            cursor,
            "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns()"
            " WHERE database_name = $db AND NOT internal ORDER BY schema_name, table_name, column_index",
            db,
        ).fetchall()
        schemas = self._run(
            cursor,
            "SELECT schema_name, comment FROM duckdb_schemas() WHERE database_name = $db AND NOT internal",
            db,
        ).fetchall()
        has_meta = {(s, t) for s, t, *_ in relations if s == META_SCHEMA}
        partitioning: dict[TableKey, tuple[str | None, tuple[str, ...]]] = {}
        required: set[TableKey] = set()  # tables created with require_partition_filter (optional column)
        if (META_SCHEMA, "tables") in has_meta:
            rows = self._run(
                cursor, f"SELECT dataset, table_name, partition_column, clustering FROM {META_SCHEMA}.tables"
            ).fetchall()
            partitioning = {(d.lower(), t.lower()): (p, tuple(c or ())) for d, t, p, c in rows}
            if any(c[:3] == (META_SCHEMA, "tables", "require_partition_filter") for c in columns):
                required = {(d.lower(), t.lower()) for d, t in self._run(cursor, FLAGGED_SQL).fetchall()}
        descriptions = {s: c for s, c in schemas}
        if (META_SCHEMA, "datasets") in has_meta:
            rows = self._run(cursor, f"SELECT dataset, description FROM {META_SCHEMA}.datasets").fetchall()
            descriptions.update({d: c for d, c in rows if c})

        by_table: dict[TableKey, list[tuple[str, str, str | None]]] = {}
        for schema, table, name, typ, comment in columns:
            if schema not in _HIDDEN_SCHEMAS:
                by_table.setdefault((schema, table), []).append((name, bigquery_type(typ), comment))
        row_counts = {(s, t): n for s, t, kind, n, _ in relations if kind == "BASE TABLE"}
        column_sizes = scan_sizes(self.project, by_table, row_counts)

        modified = datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
        tables: dict[TableKey, TableInfo] = {}
        per_dataset: dict[str, list[TableInfo]] = {}
        for schema, table, kind, rows_n, comment in relations:
            if schema in _HIDDEN_SCHEMAS:
                continue
            key = (schema.lower(), table.lower())
            part, clustering = partitioning.get(key, (None, ()))
            sizes = column_sizes.estimate(key)
            info = TableInfo(
                fully_qualified_name=f"{self.project}.{schema}.{table}",
                table_type=kind,
                row_count=rows_n,
                size_bytes=sum(sizes.values()) if rows_n is not None else None,
                description=comment or None,
                partitioning=part,
                clustering=clustering,
                require_partition_filter=bool(part) and key in required,
                last_modified=modified,
                columns=tuple(Column(n, t, c or None) for n, t, c in by_table.get((schema, table), [])),
            )
            tables[key] = info
            per_dataset.setdefault(schema, []).append(info)
        datasets = tuple(
            DatasetInfo(
                fully_qualified_name=f"{self.project}.{schema}",
                description=descriptions.get(schema) or None,
                location="local",
                last_modified=modified,
                tables=tuple(per_dataset.get(schema, ())),
            )
            for schema in sorted(descriptions)
            if schema not in _HIDDEN_SCHEMAS and (schema != "main" or schema in per_dataset)
        )
        return _Catalog(version=version, datasets=datasets, tables=tables, sizes=column_sizes)


# -- helpers ------------------------------------------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _clean(error: duckdb.Error) -> str:
    """DuckDB's message without the caret excerpt and catalog-internal suggestions."""
    text = str(error).split("\n\nLINE ")[0].strip()
    lines = [
        line
        for line in text.splitlines()
        if not (line.startswith("Did you mean") and ("pg_catalog" in line or "information_schema" in line))
    ]
    return " ".join(line.strip() for line in lines if line.strip())


def _bind(param: QueryParam) -> Any:
    """The Python value DuckDB binds for a BigQuery query parameter; WarehouseError when invalid."""
    value, kind = param.value, param.type.upper()
    if value is None:
        return None
    if kind.startswith("ARRAY<") and kind.endswith(">") and isinstance(value, list | tuple):
        inner = kind[len("ARRAY<") : -1]
        return [_bind(QueryParam(param.name, inner, v)) for v in value]
    try:
        if kind == "STRING" and isinstance(value, str):
            return value
        if kind == "INT64" and not isinstance(value, bool | float):
            return int(value)
        if kind in ("FLOAT64", "NUMERIC", "BIGNUMERIC") and not isinstance(value, bool):
            return Decimal(str(value)) if kind != "FLOAT64" else float(value)
        if kind == "BOOL" and isinstance(value, bool):
            return value
        if kind == "DATE":
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if kind in ("TIMESTAMP", "DATETIME"):
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            # Stored timestamps are naive UTC, as BigQuery TIMESTAMPs are UTC.
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    except (TypeError, ValueError, InvalidOperation):
        pass
    raise WarehouseError(f"Query parameter @{param.name}: {value!r} is not a valid {param.type}")


__all__ = ["DuckDBWarehouse"]
