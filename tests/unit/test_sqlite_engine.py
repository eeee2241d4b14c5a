"""The local SQLite directory database: WAL with synchronous=NORMAL; write transactions begin IMMEDIATE."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from testkit import counter_db

from shared.db.engine import sqlite_engine
from shared.errors import BridgeError


def test_every_connection_is_wal_with_normal_sync(tmp_path: Path) -> None:
    engine = sqlite_engine(f"sqlite:///{tmp_path / 'b.db'}")
    conns = [engine.connect() for _ in range(3)]  # pooled connections each run the pragmas
    try:
        for conn in conns:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            conn.rollback()  # ends the transaction (and its writer lock); the connection stays out
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


def test_concurrent_read_then_write_transactions_all_commit(tmp_path: Path) -> None:
    """Threads that read a row and then write it wait their turn instead of meeting the busy snapshot."""
    db = counter_db(tmp_path / "n.db")
    threads, rounds = 8, 25
    start = threading.Barrier(threads, timeout=30)
    errors: list[BaseException] = []

    def increment() -> None:
        start.wait()
        for _ in range(rounds):
            try:
                with db.session() as s:
                    v = s.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one()
                    s.execute(text("UPDATE n SET v = :v WHERE id = 1"), {"v": v + 1})
            except BaseException as exc:
                errors.append(exc)

    workers = [threading.Thread(target=increment) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with db.read() as s:  # no update lost either: each read saw the previous commit
        assert s.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one() == threads * rounds
    db.engine.dispose()


def test_a_read_takes_no_writer_lock_and_refuses_writes(tmp_path: Path) -> None:
    db = counter_db(tmp_path / "n.db")
    with db.session() as w:  # holds the writer lock until the end of the block
        w.execute(text("UPDATE n SET v = 5 WHERE id = 1"))
        with db.read() as r:  # another connection: reads the last commit at once
            assert r.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one() == 0
    for _ in range(4):  # alternated on the pooled connections: a read's refusal never outlives it
        with pytest.raises(OperationalError, match="readonly"), db.read() as r:
            r.execute(text("UPDATE n SET v = 0 WHERE id = 1"))
        with db.session() as s:
            s.execute(text("UPDATE n SET v = v + 1 WHERE id = 1"))
    with db.read() as r:
        assert r.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one() == 9
    db.engine.dispose()


def test_a_write_transaction_inside_another_on_one_thread_fails_at_once(tmp_path: Path) -> None:
    """It would wait the whole busy timeout for the lock its own thread holds, then fail."""
    db = counter_db(tmp_path / "n.db")
    with db.session() as outer:
        outer.execute(text("UPDATE n SET v = 1 WHERE id = 1"))
        started = time.monotonic()
        with pytest.raises(BridgeError, match="inside another"), db.session():
            pass
        assert time.monotonic() - started < 1
        outer.execute(text("UPDATE n SET v = v + 1 WHERE id = 1"))  # the outer one goes on
    with db.session() as s:  # and the thread may open the next one
        assert s.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one() == 2
    db.engine.dispose()


def test_write_transactions_on_other_threads_still_wait_their_turn(tmp_path: Path) -> None:
    db = counter_db(tmp_path / "n.db")
    done = threading.Event()

    def other() -> None:
        with db.session() as s:
            s.execute(text("UPDATE n SET v = v + 10 WHERE id = 1"))
        done.set()

    with db.session() as s:
        s.execute(text("UPDATE n SET v = v + 1 WHERE id = 1"))
        thread = threading.Thread(target=other)
        thread.start()
        assert not done.wait(0.3)  # waits for this thread's commit, not refused
    thread.join(30)
    with db.read() as r:
        assert r.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one() == 11
    db.engine.dispose()


def test_a_read_that_may_repair_takes_the_writer_lock_only_when_it_writes(tmp_path: Path) -> None:
    db = counter_db(tmp_path / "n.db")
    runs: list[str] = []

    def repair_below(floor: int) -> Callable[[Session], int]:
        def fn(s: Session) -> int:
            runs.append("read-only" if s.execute(text("PRAGMA query_only")).scalar() else "write")
            v = int(s.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one())
            if v < floor:  # the repair
                s.execute(text("UPDATE n SET v = :f WHERE id = 1"), {"f": floor})
                return floor
            return v

        return fn

    holder_in, release = threading.Event(), threading.Event()

    def hold_the_writer_lock() -> None:
        with db.session() as s:
            s.execute(text("UPDATE n SET v = v WHERE id = 1"))
            holder_in.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_writer_lock)
    holder.start()
    assert holder_in.wait(30)
    started = time.monotonic()
    assert db.read_or_repair(repair_below(0)) == 0  # nothing to repair: no wait for the writer
    assert time.monotonic() - started < 1 and runs == ["read-only"]
    release.set()
    holder.join(30)
    assert db.read_or_repair(repair_below(3)) == 3  # it writes: run again in a write transaction
    assert runs == ["read-only", "read-only", "write"]
    with db.read() as r:
        assert r.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one() == 3
    with pytest.raises(OperationalError, match="no such table"):  # other errors are not retried
        db.read_or_repair(lambda s: s.execute(text("SELECT * FROM missing")))
    db.engine.dispose()
