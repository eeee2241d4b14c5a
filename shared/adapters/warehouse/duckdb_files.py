"""Which DuckDB files a local connection may open, and how they are opened without a lasting lock.

A connection's file must lie inside one of the configured roots (``BRIDGE_DUCKDB_ROOTS``), checked
after symlinks and ``..`` are resolved. The demo warehouse is always allowed; no other file of
Bridge's data folder ever is (the directory DB, key files, cache objects), whatever the roots say,
unless a root lies strictly inside the data folder. Every refusal, missing file and unreadable
file gets the same message, so the answer says nothing about which files exist.

Opening copies the file (and its WAL, if any) to a private snapshot while a read-only attach holds
DuckDB's shared lock for the length of the copy only; the snapshot is attached and unlinked at
once. The owner's own process can write its file again as soon as the copy is done.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


UNAVAILABLE = (
    "DuckDB file is not available: it must be a readable DuckDB file inside one of the folders "
    "allowed for local warehouses (BRIDGE_DUCKDB_ROOTS)"
)
MAX_PATH_CHARS = 4096
SOURCE_ALIAS = "_bridge_source"


@dataclass(frozen=True)
class DuckDBFilePolicy:
    """The roots users' DuckDB files may come from, the demo file, and the data folder to protect."""

    roots: tuple[Path, ...]
    data_dir: Path
    demo: Path

    def resolve(self, raw: object) -> Path | None:
        """The resolved path of ``raw`` when a connection may use it, else None."""
        if not isinstance(raw, str | Path):
            return None
        text = str(raw)
        if not text.strip() or "\x00" in text or len(text) > MAX_PATH_CHARS:
            return None
        try:
            resolved = Path(text).expanduser().resolve()
            demo = self.demo.resolve()
            data = self.data_dir.resolve()
            roots = [root.resolve() for root in self.roots]
        except (OSError, RuntimeError, ValueError):
            return None
        if resolved == demo:
            return resolved
        for root in roots:
            if resolved == root or not resolved.is_relative_to(root):
                continue
            if resolved.is_relative_to(data) and not (root.is_relative_to(data) and root != data):
                continue  # a root above the data folder does not open Bridge's own files
            return resolved
        return None


def open_snapshot(source: Path, alias_sql: str, *, memory_limit_mb: int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a private read-only snapshot of ``source`` attached as ``alias_sql``.

    Extensions are never installed or loaded, and external access is off before anything is
    attached: only the source and the snapshot are reachable, and only until configuration is locked.
    Raises ``duckdb.Error`` or ``OSError`` when the file cannot be read as a DuckDB database.
    """
    import duckdb

    conn = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": f"{memory_limit_mb}MB",
        },
    )
    handle, snapshot = tempfile.mkstemp(prefix="bridge-duckdb-", suffix=".duckdb")
    os.close(handle)
    copies = [snapshot, f"{snapshot}.wal"]
    try:
        conn.execute("SET allowed_paths = $paths", {"paths": [str(source), f"{source}.wal", *copies]})
        conn.execute("SET enable_external_access = false")
        conn.execute(f"ATTACH {_literal(str(source))} AS {SOURCE_ALIAS} (READ_ONLY)")
        try:  # the shared lock is held only while the bytes are copied
            shutil.copyfile(source, snapshot)
            _copy_if_present(Path(f"{source}.wal"), Path(copies[1]))
        finally:
            conn.execute(f"DETACH {SOURCE_ALIAS}")
        conn.execute(f"ATTACH {_literal(snapshot)} AS {alias_sql} (READ_ONLY)")
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    finally:
        for path in copies:  # attached files stay readable through their open handle
            Path(path).unlink(missing_ok=True)
    return conn


def _copy_if_present(source: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.copyfile(source, target)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
