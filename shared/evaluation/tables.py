"""Build a case folder's tables into DuckDB files: one file per database, schema = database name."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.errors import BadRequest

TYPES = {
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "DOUBLE",
    "FLOAT",
    "REAL",
    "VARCHAR",
    "DATE",
    "TIMESTAMP",
    "BOOLEAN",
}
COPY_OPTIONS = "FORMAT csv, HEADER true, DELIM ',', QUOTE '\"', ESCAPE '\"', NULLSTR '', AUTO_DETECT false"


@dataclass(frozen=True)
class TableSpec:
    """One table of a case database: its CSV file and typed columns (from schema.json)."""

    name: str
    csv: Path
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DatabaseSpec:
    """One case database (a DuckDB schema) and its tables."""

    name: str
    tables: tuple[TableSpec, ...]

    def fingerprint(self) -> str:
        """Changes when a schema or a CSV changes (size and mtime), so a built file can be reused."""
        h = hashlib.sha256(self.name.encode())
        for t in self.tables:
            st = t.csv.stat()
            h.update(json.dumps([t.name, str(t.csv), st.st_size, st.st_mtime_ns, t.columns]).encode())
        return h.hexdigest()[:16]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(raw: list[dict[str, Any]], where: str) -> tuple[tuple[str, str], ...]:
    cols = []
    for col in raw:
        kind = str(col.get("type", "")).upper()
        if kind not in TYPES:
            raise BadRequest(f"{where}: column {col.get('name')!r} has unsupported type {kind!r}")
        cols.append((str(col["name"]), kind))
    return tuple(cols)


def nvbench1_databases(tables_dir: Path) -> dict[str, DatabaseSpec]:
    """``tables/<db>/schema.json`` + ``tables/<db>/<table>.csv`` (the nvBench 1.0 layout)."""
    out = {}
    for schema_file in sorted(tables_dir.glob("*/schema.json")):
        raw = json.loads(schema_file.read_text())
        db = str(raw.get("db") or schema_file.parent.name)
        tables = tuple(
            TableSpec(
                t["name"], schema_file.parent / t.get("file", f"{t['name']}.csv"), _columns(t["columns"], db)
            )
            for t in raw["tables"]
        )
        out[db] = DatabaseSpec(db, tables)
    return out


def nvbench2_databases(tables_dir: Path) -> dict[str, DatabaseSpec]:
    """``tables/schema.json`` listing every table; one database per table (schema = ``source.db``)."""
    raw = json.loads((tables_dir / "schema.json").read_text())
    out = {}
    for t in raw["tables"]:
        src = t.get("source") or {}
        db, name = str(src.get("db") or t["name"]), str(src.get("table") or t["name"])
        spec = TableSpec(name, tables_dir / t.get("file", f"{t['name']}.csv"), _columns(t["columns"], db))
        out[t["name"]] = DatabaseSpec(db, (spec,))
    return out


def build_duckdb(spec: DatabaseSpec, target: Path) -> Path:
    """Create ``target`` with schema ``spec.name`` and its tables loaded with COPY (reused when unchanged)."""
    import duckdb

    stamp = target.with_suffix(".built")
    fingerprint = spec.fingerprint()
    if target.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    conn = duckdb.connect(str(partial))
    try:
        catalog = _ident(conn.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
        conn.execute(f"CREATE SCHEMA {catalog}.{_ident(spec.name)}")
        for t in spec.tables:
            cols = ", ".join(f"{_ident(n)} {kind}" for n, kind in t.columns)
            qualified = f"{catalog}.{_ident(spec.name)}.{_ident(t.name)}"
            conn.execute(f"CREATE TABLE {qualified} ({cols})")
            path = str(t.csv).replace("'", "''")
            conn.execute(f"COPY {qualified} FROM '{path}' ({COPY_OPTIONS})")
    finally:
        conn.close()
    partial.replace(target)
    stamp.write_text(fingerprint)
    return target
