"""SQLite writers take turns across threads and processes (shared.db.sqlite_writer)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from testkit import counter_db

from shared.db.sqlite_writer import WriterTurn
from shared.errors import Unavailable

ROOT = Path(__file__).resolve().parents[2]


def _locked(lock_file: Path) -> bool:
    fd = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock this probe took
    return False


def test_another_process_holding_its_turn_holds_the_lock_file_and_this_writer_waits(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    db = counter_db(path)
    lock_file = tmp_path / "w.db-writer.lock"
    script = (
        "import sys, time\n"
        "from sqlalchemy import text\n"
        "from shared.db.engine import Database, sqlite_engine\n"
        f"db = Database(sqlite_engine('sqlite:///{path}'))\n"
        "with db.session() as s:\n"
        "    s.execute(text('UPDATE n SET v = 1 WHERE id = 1'))\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "held"
        assert _locked(lock_file)
        result: list[int] = []

        def write() -> None:
            with db.session() as s:  # waits for the child's turn to end
                result.append(s.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one())
                s.execute(text("UPDATE n SET v = v + 10 WHERE id = 1"))

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(0.3)
        assert writer.is_alive() and result == []
        child.stdin.write("\n")
        child.stdin.flush()
        writer.join(30)
        assert result == [1]  # it began after the child's commit
        assert not _locked(lock_file)  # and let go of the turn after its own
    finally:
        child.kill()
        child.wait()
    with db.read() as r:
        assert r.execute(text("SELECT v FROM n WHERE id = 1")).scalar_one() == 11
    db.engine.dispose()


def test_a_turn_not_given_within_the_timeout_is_unavailable(tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    turn = WriterTurn(database, timeout_s=0.2)
    assert turn.path is not None
    fd = os.open(turn.path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process's writer, as far as the turn can tell
    try:
        with pytest.raises(Unavailable, match="stayed busy"), turn.held():
            pass
    finally:
        os.close(fd)
    with turn.held():  # the lock released: the next turn is given
        pass


def test_threads_wait_for_each_other_and_a_thread_waiting_too_long_is_unavailable() -> None:
    turn = WriterTurn(None, timeout_s=0.2)  # an in-memory database: no lock file, threads only
    inside = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with turn.held():
            inside.set()
            leave.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    with pytest.raises(Unavailable), turn.held():
        pass
    leave.set()
    holder.join(10)
    with turn.held():
        pass


def _open_lock_files(lock_file: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(lock_file.resolve()))


def test_disposing_the_engine_closes_the_lock_file_and_the_next_write_opens_it(tmp_path: Path) -> None:
    db = counter_db(tmp_path / "d.db")
    lock_file = tmp_path / "d.db-writer.lock"
    assert _open_lock_files(lock_file) == 1
    db.engine.dispose()
    assert _open_lock_files(lock_file) == 0  # a test's or an instance's database leaves no descriptor
    with db.session() as s:
        s.execute(text("UPDATE n SET v = 3 WHERE id = 1"))
    assert _open_lock_files(lock_file) == 1
    db.engine.dispose()
