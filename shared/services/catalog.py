"""Catalog scan (bulk, in place) and catalog reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.db.models import Connection, Dataset, Table, utcnow
from shared.ports import Ports
from shared.services.connections import open_warehouse


def scan(c: Ports, s: Session, conn: Connection) -> dict[str, int]:
    """Read the warehouse catalog in bulk and upsert it; tables that disappeared are removed."""
    found = open_warehouse(c, conn).scan_catalog()
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
            row.columns = [
                {"name": col.name, "type": col.type, "description": col.description} for col in t.columns
            ]
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
    return counts


def catalog(s: Session, conn: Connection) -> dict[str, Any]:
    """The stored catalog of a connection, datasets with their tables."""
    datasets = list(
        s.scalars(
            select(Dataset).where(Dataset.connection_id == conn.id).order_by(Dataset.fully_qualified_name)
        )
    )
    tables = s.scalars(
        select(Table)
        .where(Table.dataset_id.in_([d.id for d in datasets]))
        .order_by(Table.fully_qualified_name)
    )
    by_ds: dict[str, list[Table]] = {}
    for t in tables:
        by_ds.setdefault(t.dataset_id, []).append(t)
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
