"""The local SQLite directory database: WAL with synchronous=NORMAL on every connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from shared.db.engine import sqlite_engine


def test_every_connection_is_wal_with_normal_sync(tmp_path: Path) -> None:
    engine = sqlite_engine(f"sqlite:///{tmp_path / 'b.db'}")
    conns = [engine.connect() for _ in range(3)]  # pooled connections each run the pragmas
    try:
        for conn in conns:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        for conn in conns:
            conn.close()
        engine.dispose()


def test_a_commit_survives_the_process_dying_right_after_it(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    script = (
        "import os\n"
        "from sqlalchemy import text\n"
        "from shared.db.engine import sqlite_engine\n"
        f"e = sqlite_engine('sqlite:///{db}')\n"
        "with e.begin() as c:\n"
        "    c.execute(text('CREATE TABLE t (x INTEGER)'))\n"
        "    c.execute(text('INSERT INTO t VALUES (7)'))\n"
        "os._exit(0)  # no checkpoint, no clean close\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parents[2])
    engine = sqlite_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalar() == 7
    engine.dispose()
