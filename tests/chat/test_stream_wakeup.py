"""Event streams are woken by the write: in-process at commit, across instances by Postgres NOTIFY.

The fallback polls are set to an hour, so an event that reaches a reader was delivered by the
wake-up alone (the timeouts below only stop a broken test from hanging).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from chat_helpers import ChatEnv, lookup_script
from doubles.generation import create_session
from sqlalchemy import text

from shared.db.engine import Database, make_engine
from shared.db.migrate import upgrade
from shared.db.wakeup import Wakeup, _buffered, _pg8000_streams, mark
from shared.entry.routes import chat as chat_routes
from shared.settings import Settings

HANG_S = 60.0


def test_a_commit_wakes_a_watcher_and_a_rollback_does_not(tmp_path) -> None:
    db = Database(make_engine(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'w.db'}")))
    with db.wakeup.watch("cs_1") as watch:
        seen = watch.version
        with pytest.raises(RuntimeError), db.session() as s:
            mark(s, "cs_1")
            raise RuntimeError("rolled back")
        assert not watch.wait(seen, 0.2) and watch.version == seen
        with db.session() as s:
            mark(s, "cs_2")  # another session's stream
        assert watch.version == seen
        threading.Timer(0.05, lambda: _commit_mark(db, "cs_1")).start()
        assert watch.wait(seen, HANG_S), "the commit woke the watcher"
        assert watch.version == seen + 1
    assert db.wakeup._versions == {}, "a finished watch leaves nothing behind"


def _commit_mark(db: Database, key: str) -> None:
    with db.session() as s:
        mark(s, key)
        s.execute(text("SELECT 1"))


@pytest.fixture
def two_instances(db_url: str) -> Iterator[tuple[Database, Database]]:
    """Two processes' databases (each with its own wake-ups) on one real PostgreSQL database."""
    a = Database(make_engine(Settings(database_url=db_url)))
    b = Database(make_engine(Settings(database_url=db_url)))
    upgrade(a.engine)
    yield a, b
    a.engine.dispose()
    b.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_notify_wakes_a_watcher_in_another_instance(two_instances) -> None:
    a, b = two_instances
    assert a.wakeup.postgres and a.wakeup.instance != b.wakeup.instance
    with a.wakeup.watch("cs_1") as watch:
        assert a.wakeup.listening.wait(HANG_S), "the listener holds LISTEN"
        seen = watch.version
        with pytest.raises(RuntimeError), b.session() as s:
            mark(s, "cs_1")
            raise RuntimeError("rolled back: Postgres drops its NOTIFY")
        assert not watch.wait(seen, 0.5)
        _commit_mark(b, "cs_1")
        assert watch.wait(seen, HANG_S), "instance b's commit woke instance a's watcher"
        assert a.wakeup.notified == 1
        seen = watch.version
        for _ in range(3):  # several notifications in a row: none stays unread in a buffer
            _commit_mark(b, "cs_1")
            assert watch.wait(seen, HANG_S)
            seen = watch.version
        own = a.wakeup.notified
        _commit_mark(a, "cs_1")  # its own commit wakes it directly, not a second time through NOTIFY
        assert watch.wait(seen, HANG_S)
    assert a.wakeup.notified == own


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_listener_reconnects_after_its_connection_is_killed(two_instances) -> None:
    a, b = two_instances
    with a.wakeup.watch("cs_1") as watch:
        assert a.wakeup.listening.wait(HANG_S)
        killed = a.wakeup.listener_pid
        with b.session() as s:  # the server drops the listening connection (a failover, an idle cut)
            assert s.execute(text("SELECT pg_terminate_backend(:p)"), {"p": killed}).scalar()
        deadline = time.monotonic() + HANG_S
        while not (a.wakeup.listening.is_set() and a.wakeup.listener_pid != killed):
            assert time.monotonic() < deadline, "the listener never came back"
            time.sleep(0.05)
        seen = watch.version
        _commit_mark(b, "cs_1")
        assert watch.wait(seen, HANG_S), "the new listening connection delivers"


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_listener_still_finds_pg8000s_socket_and_read_buffer(db_url: str) -> None:
    """The listener's one reach into pg8000's privates (``_pg8000_streams``) fails here, by name,
    if a pg8000 upgrade renames them (tests/cloud/test_cloudsql.py runs it on Cloud SQL's TLS)."""
    engine = make_engine(Settings(database_url=db_url))
    raw = engine.raw_connection()
    try:
        conn = raw.dbapi_connection
        missing = [name for name in ("_usock", "_sock") if not hasattr(conn, name)]
        assert not missing, f"pg8000 no longer has {missing}: update shared.db.wakeup._pg8000_streams"
        sock, reader = _pg8000_streams(conn)
        assert isinstance(sock, socket.socket) and callable(getattr(reader, "peek", None))
        assert not _buffered(conn), "nothing waits on an idle connection"
        cur = conn.cursor()
        cur.execute("SELECT 1")  # the peek left the connection usable
        assert list(cur.fetchall()) == [[1]]
    finally:
        raw.close()
        engine.dispose()


def test_a_turn_streams_to_its_end_without_polling(
    dev_server, chat_env: ChatEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_routes, "POLL_RUNNING_S", 3600.0)
    monkeypatch.setattr(chat_routes, "POLL_IDLE_S", 3600.0)
    chat_env.install(lookup_script())
    h = {"Authorization": f"Bearer {chat_env.c.local_identity.issue(chat_env.user.email)}"}
    sid = create_session(chat_env.c, chat_env.user, chat_env.team_id, chat_env.connection_id)
    with requests.post(
        f"{dev_server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": "what is there?"},
        headers=h,
        stream=True,
        timeout=HANG_S,
    ) as resp:
        body = resp.text  # the stream ends at the turn's done event
    events = [line.removeprefix("event: ") for line in body.splitlines() if line.startswith("event: ")]
    assert events.count("tool_call") == 3 and events[-1] == "done"


def test_wakeup_is_off_for_a_session_outside_a_database(tmp_path) -> None:
    from sqlalchemy.orm import Session

    engine = make_engine(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    with Session(engine) as s:
        mark(s, "cs_1")  # a plain session (migrations, scripts) has nothing to wake
        assert "wake_keys" not in s.info
    assert isinstance(Database(engine).wakeup, Wakeup)
