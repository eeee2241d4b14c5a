"""Catalog scan (bulk, in place) and catalog reads.

A scan also keeps sample values of categorical STRING columns (``columns[i].sample_values``, at
most 10 short values, most frequent first; see ``shared/adapters/warehouse/samples.py``), so
``search_catalog`` finds the table holding "France". The sampling runs under the team's byte cap
as its whole budget and ``BRIDGE_CATALOG_SAMPLE_TIMEOUT_S``; tables never sampled go first, and
a table the budget or the deadline left out this time keeps the values of its previous scan.
The values live with the connection's catalog rows, so they are the team's like its tables.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.adapters.warehouse.port import DatasetInfo, SampleLimits, Samples, Warehouse
from shared.db import keyset
from shared.db.models import Connection, Dataset, Table, Team, utcnow
from shared.errors import BridgeError
from shared.ports import Ports
from shared.services.connections import open_warehouse

log = logging.getLogger("bridge.catalog")


def scan(c: Ports, s: Session, conn: Connection) -> dict[str, int]:
    """Read the warehouse catalog in bulk and upsert it; tables that disappeared are removed."""
    warehouse = open_warehouse(c, conn)
    found = warehouse.scan_catalog()
    before = _stored_columns(s, conn)
    samples = _sample(c, s, conn, warehouse, found, before)
    datasets = {
        d.fully_qualified_name: d for d in s.scalars(select(Dataset).where(Dataset.connection_id == conn.id))
    }
    counts = {"datasets": 0, "tables": 0, "removed_tables": 0, "removed_datasets": 0}
    seen_ds: set[str] = set()
    for info in found:
        ds = datasets.get(info.fully_qualified_name)
        if ds is None:
            ds = Dataset(connection_id=conn.id, fully_qualified_name=info.fully_qualified_name)
            s.add(ds)
        ds.description, ds.location, ds.last_modified = info.description, info.location, info.last_modified
        s.flush()
        seen_ds.add(info.fully_qualified_name)
        counts["datasets"] += 1
        existing = {
            t.fully_qualified_name: t for t in s.scalars(select(Table).where(Table.dataset_id == ds.id))
        }
        for t in info.tables:
            row = existing.pop(t.fully_qualified_name, None)
            if row is None:
                row = Table(
                    dataset_id=ds.id, fully_qualified_name=t.fully_qualified_name, table_type=t.table_type
                )
                s.add(row)
            row.table_type, row.row_count, row.size_bytes = t.table_type, t.row_count, t.size_bytes
            row.description, row.partitioning, row.clustering = (
                t.description,
                t.partitioning,
                list(t.clustering),
            )
            row.last_modified = t.last_modified
            row.columns = _columns(
                t.columns, samples.get(t.fully_qualified_name), before.get(row.fully_qualified_name)
            )
            counts["tables"] += 1
        for gone in existing.values():
            s.delete(gone)
            counts["removed_tables"] += 1
    for name, ds in datasets.items():
        if name not in seen_ds:
            counts["removed_tables"] += len(
                list(s.scalars(select(Table.id).where(Table.dataset_id == ds.id)))
            )
            s.execute(delete(Table).where(Table.dataset_id == ds.id))
            s.delete(ds)
            counts["removed_datasets"] += 1
    conn.scanned_at = utcnow()
    s.flush()
    counts["sampled_tables"] = len(samples)
    return counts


def _stored_columns(s: Session, conn: Connection) -> dict[str, dict[str, dict[str, Any]]]:
    """table → column name → its stored entry, from the previous scan."""
    rows = s.execute(
        select(Table.fully_qualified_name, Table.columns)
        .join(Dataset, Dataset.id == Table.dataset_id)
        .where(Dataset.connection_id == conn.id)
    )
    return {name: {str(col.get("name")): col for col in columns or []} for name, columns in rows}


def _sample(
    c: Ports,
    s: Session,
    conn: Connection,
    warehouse: Warehouse,
    found: list[DatasetInfo],
    before: dict[str, dict[str, dict[str, Any]]],
) -> Samples:
    if not c.settings.catalog_sample_values:
        return {}
    from shared.services.queries import byte_cap

    tables = [t for d in found for t in d.tables]
    # Tables never sampled first, so a small budget covers the whole catalog over a few scans.
    tables.sort(
        key=lambda t: any("sample_values" in col for col in before.get(t.fully_qualified_name, {}).values())
    )
    team = s.get(Team, conn.team_id)
    limits = SampleLimits(
        max_bytes_billed=byte_cap(c, team) if team else c.settings.default_byte_cap,
        timeout_s=c.settings.catalog_sample_timeout_s,
    )
    try:
        return warehouse.sample_values(tables, limits)
    except BridgeError as error:
        log.info("catalog sample values skipped for connection %s: %s", conn.id, error.code)
        return {}


def _columns(
    columns: Any, sampled: dict[str, list[str]] | None, previous: dict[str, dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Stored column entries; STRING columns carry ``sample_values`` once sampled (``[]``: none)."""
    out = []
    for col in columns:
        entry: dict[str, Any] = {"name": col.name, "type": col.type, "description": col.description}
        old = (previous or {}).get(col.name, {})
        if sampled is not None and col.type.upper() == "STRING":
            entry["sample_values"] = list(sampled.get(col.name, []))
        elif sampled is None and "sample_values" in old and old.get("type") == col.type:
            entry["sample_values"] = list(old["sample_values"])
        out.append(entry)
    return out


# Tables in name order (the name starts with its dataset's, so a dataset's tables stay together).
TABLE_ORDER = (keyset.Key(Table.fully_qualified_name), keyset.Key(Table.id))


def table_key(table: Table) -> tuple[Any, ...]:
    return (table.fully_qualified_name, table.id)


def catalog_tables(
    s: Session, conn: Connection, *, after: tuple[Any, ...] | None = None, limit: int | None = None
) -> list[Table]:
    """The connection's tables in :data:`TABLE_ORDER`; ``limit`` of those after the key ``after``."""
    q = (
        select(Table)
        .join(Dataset, Dataset.id == Table.dataset_id)
        .where(Dataset.connection_id == conn.id)
        .order_by(*keyset.order_by(TABLE_ORDER))
    )
    if after is not None:
        q = q.where(keyset.after(TABLE_ORDER, after))
    return list(s.scalars(q if limit is None else q.limit(limit)))


def catalog(
    s: Session, conn: Connection, tables: list[Table] | None = None, *, first_page: bool = True
) -> dict[str, Any]:
    """The stored catalog of a connection: datasets with their tables.

    With ``tables`` (one page of :func:`catalog_tables`), only those tables, under their
    datasets; the first page also lists the datasets that hold no table."""
    if tables is None:
        tables = catalog_tables(s, conn)
    by_ds: dict[str, list[Table]] = {}
    for t in tables:
        by_ds.setdefault(t.dataset_id, []).append(t)
    q = select(Dataset).where(Dataset.connection_id == conn.id).order_by(Dataset.fully_qualified_name)
    empty: set[str] = set()
    if first_page:
        filled = select(Table.dataset_id).where(Table.dataset_id == Dataset.id).exists()
        empty = set(s.scalars(select(Dataset.id).where(Dataset.connection_id == conn.id, ~filled)))
    else:
        q = q.where(Dataset.id.in_(list(by_ds)))
    datasets = [d for d in s.scalars(q) if d.id in by_ds or d.id in empty]
    return {
        "connection_id": conn.id,
        "scanned_at": conn.scanned_at.isoformat() if conn.scanned_at else None,
        "datasets": [
            {
                "fully_qualified_name": d.fully_qualified_name,
                "description": d.description,
                "location": d.location,
                "tables": [
                    {
                        "fully_qualified_name": t.fully_qualified_name,
                        "table_type": t.table_type,
                        "row_count": t.row_count,
                        "size_bytes": t.size_bytes,
                        "description": t.description,
                        "partitioning": t.partitioning,
                        "columns": t.columns,
                    }
                    for t in by_ds.get(d.id, [])
                ],
            }
            for d in datasets
        ],
    }


def allowed_tables(s: Session, conn: Connection) -> set[str]:
    """Fully qualified names of the connection's scanned tables (lower-cased)."""
    rows = s.scalars(
        select(Table.fully_qualified_name)
        .join(Dataset, Dataset.id == Table.dataset_id)
        .where(Dataset.connection_id == conn.id)
    )
    return {r.lower() for r in rows}
