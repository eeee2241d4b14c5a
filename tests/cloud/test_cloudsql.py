"""The directory database on Cloud SQL: the real connector, its TLS socket, and LISTEN/NOTIFY through it.

``make_engine`` runs as in production (settings name the instance; application default
credentials come from a service-account key file) against LocalCloudSql: the Admin API on loopback
and a TLS server-side proxy on port 3307 in front of the real Postgres. pg8000 therefore reads
from the connector's ``ssl.SSLSocket``, where decrypted bytes can wait in buffers ``select``
does not see. Waits are bounded by ``HANG_S`` only so a broken test fails instead of hanging;
where promptness is the point, the listener's select timeout is set to an hour, so a wake-up that
arrives was delivered without it.
"""

from __future__ import annotations

import io
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from shared.db import wakeup as wakeup_module
from shared.db.engine import Database, make_engine
from shared.db.migrate import upgrade
from shared.db.wakeup import CHANNEL, _buffered, _pg8000_streams, mark
from shared.settings import Settings

from .cloudsql_local import ADMIN_TOKEN, CONNECTION_NAME, LOGIN_TOKEN, LocalCloudSql
from .cloudsql_proxy import PROXY_PORT, Coalesce

HANG_S = 60.0
pytestmark = pytest.mark.postgres
on_postgres = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.fixture
def settings(
    cloudsql: LocalCloudSql, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Production settings for the local instance; credentials found by google.auth.default()."""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(cloudsql.credentials_file(tmp_path)))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "bridge-test")
    return Settings(
        data_dir=tmp_path,
        cloudsql_instance=CONNECTION_NAME,
        cloudsql_admin_url=cloudsql.url,
        db_user="postgres",  # trust auth locally; the IAM token rides in the ephemeral certificate
        db_name=db_url.rsplit("/", 1)[-1],
    )


@pytest.fixture
def two_instances(settings: Settings) -> Iterator[tuple[Database, Database]]:
    """Two processes' databases on one Cloud SQL database, each with its own connector."""
    a, b = Database(make_engine(settings)), Database(make_engine(settings))
    upgrade(a.engine)
    yield a, b
    a.engine.dispose()
    b.engine.dispose()


@on_postgres
def test_the_engine_connects_through_the_connector_with_an_ephemeral_certificate(
    cloudsql: LocalCloudSql, settings: Settings
) -> None:
    seen = len(cloudsql.requests)
    db = Database(make_engine(settings))
    try:
        with db.session() as s:
            pid, database = s.execute(text("SELECT pg_backend_pid(), current_database()")).one()
            assert s.execute(text("SELECT 40 + 2")).scalar() == 42
        assert database == settings.db_name
        assert pid in cloudsql.proxy.connections(), "the session's backend is behind the TLS proxy"
        raw = db.engine.raw_connection()
        try:
            usock, _reader = _pg8000_streams(raw.dbapi_connection)
            assert isinstance(usock, ssl.SSLSocket) and usock.getpeername()[1] == PROXY_PORT
            assert usock.version() == "TLSv1.3"
        finally:
            raw.close()
    finally:
        db.engine.dispose()
    requests = cloudsql.requests[seen:]
    paths = sorted((method, path.rsplit("/", 1)[-1]) for method, path, _ in requests)
    assert paths == [("GET", "connectSettings"), ("POST", "bridge:generateEphemeralCert")]
    cert_request = next(body for _, path, body in requests if path.endswith("generateEphemeralCert"))
    assert cert_request["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert cert_request["access_token"] == LOGIN_TOKEN, "IAM database auth sends a login-scoped token"
    assert set(cloudsql.authorizations[seen:]) == {f"Bearer {ADMIN_TOKEN}"}


def test_the_proxy_refuses_a_client_without_the_ephemeral_certificate(cloudsql: LocalCloudSql) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    before = cloudsql.proxy.handshakes
    with socket.create_connection(("127.0.0.1", PROXY_PORT), timeout=HANG_S) as raw:
        tls = context.wrap_socket(raw)  # TLS 1.3 reports the refused certificate on the first read
        with pytest.raises((ssl.SSLError, ConnectionError)):
            tls.sendall(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")
            if not tls.recv(1):
                raise ConnectionResetError("closed by the proxy")
    assert cloudsql.proxy.handshakes == before


@on_postgres
def test_notify_from_another_instance_wakes_the_listener(
    cloudsql: LocalCloudSql, two_instances: tuple[Database, Database]
) -> None:
    a, b = two_instances
    with a.wakeup.watch("cs_1") as watch:
        assert a.wakeup.listening.wait(HANG_S), "the listener holds LISTEN over the connector"
        assert a.wakeup.listener_pid in cloudsql.proxy.connections()
        seen = watch.version
        _commit_mark(b, "cs_1")
        assert watch.wait(seen, HANG_S), "instance b's commit woke instance a's watcher"
        assert a.wakeup.notified == 1


@on_postgres
@pytest.mark.parametrize("where", ["reader", "ssl"])
def test_a_notification_in_the_same_tls_record_as_a_reply_is_seen_without_select(
    where: str, cloudsql: LocalCloudSql, two_instances: tuple[Database, Database], monkeypatch
) -> None:
    """Reply and notification arrive in one TLS record: after pg8000 read the reply, the
    notification waits in pg8000's read buffer ("reader") or, when the reply filled that buffer
    (``io.DEFAULT_BUFFER_SIZE``, what ``socket.makefile`` gives pg8000), decrypted inside the SSL object ("ssl"); the socket itself has nothing to read."""
    a, b = two_instances
    conn = _listening_connection(a)
    pid = _pid(conn)
    size = 8
    if where == "ssl":  # measure this reply once, then size it to end exactly where the buffer does
        measured = _coalesced(cloudsql, conn, pid, b, size)
        _read_and_drop_notifications(conn)
        size += io.DEFAULT_BUFFER_SIZE - measured.reply_bytes
    hold = _coalesced(cloudsql, conn, pid, b, size)
    usock, _reader = _pg8000_streams(conn)
    assert len(hold.record) < 16384, "reply and notification went out as one TLS record"
    assert not conn.notifications, "pg8000 stopped at the reply's end; the notification is unread"
    assert select.select([usock], [], [], 0)[0] == [], "the socket has nothing: select alone would wait"
    if where == "ssl":
        assert hold.reply_bytes == io.DEFAULT_BUFFER_SIZE and usock.pending() > 0, (
            "the notification sits inside SSL"
        )
    else:
        assert usock.pending() == 0, "the notification sits in pg8000's reader"
    assert _buffered(conn)

    def refuse_to_wait(*args: Any) -> None:
        raise AssertionError("the listener would wait on the socket with a notification buffered")

    monkeypatch.setattr(wakeup_module, "_wait_readable", refuse_to_wait)
    notified = a.wakeup.notified
    a.wakeup._drain(conn, timeout=3600.0)
    assert a.wakeup.notified == notified + 1, "the buffered notification was delivered by one drain"
    conn.close()


@on_postgres
def test_the_listener_delivers_a_notification_coalesced_with_its_own_reply(
    cloudsql: LocalCloudSql, two_instances: tuple[Database, Database], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listener thread itself meets the case: its no-op's reply arrives with the next notification."""
    monkeypatch.setattr(wakeup_module, "SELECT_S", 3600.0)  # only buffered bytes can wake it in time
    a, b = two_instances
    with a.wakeup.watch("cs_1") as first, a.wakeup.watch("cs_2") as second:
        assert a.wakeup.listening.wait(HANG_S)
        hold = cloudsql.proxy.coalesce(a.wakeup.listener_pid or 0)
        seen_first, seen_second = first.version, second.version
        _commit_mark(b, "cs_1")  # wakes the listener; the reply to its no-op is held back
        assert hold.reply_held.wait(HANG_S), "the listener ran its no-op after the first notification"
        _commit_mark(b, "cs_2")  # ...and goes out in one TLS record with this notification
        assert hold.sent.wait(HANG_S)
        assert first.wait(seen_first, HANG_S)
        assert second.wait(seen_second, HANG_S), "the coalesced notification woke its watcher"
    _kill_listener(a, b)  # ends its hour-long select; with no watcher left it stops


@on_postgres
def test_the_listener_reconnects_through_the_connector_after_its_backend_is_killed(
    cloudsql: LocalCloudSql, two_instances: tuple[Database, Database]
) -> None:
    a, b = two_instances
    handshakes = cloudsql.proxy.handshakes
    with a.wakeup.watch("cs_1") as watch:
        assert a.wakeup.listening.wait(HANG_S)
        killed = _kill_listener(a, b)
        deadline = time.monotonic() + HANG_S
        while not (a.wakeup.listening.is_set() and a.wakeup.listener_pid != killed):
            assert time.monotonic() < deadline, "the listener never came back"
            time.sleep(0.05)
        assert a.wakeup.listener_pid in cloudsql.proxy.connections()
        assert cloudsql.proxy.handshakes > handshakes, "the new listening connection is a new TLS connection"
        seen = watch.version
        _commit_mark(b, "cs_1")
        assert watch.wait(seen, HANG_S), "the new listening connection delivers"


def _commit_mark(db: Database, key: str) -> None:
    with db.session() as s:
        mark(s, key)


def _listening_connection(db: Database) -> Any:
    """A pg8000 connection through the connector, set up as the listener sets up its own."""
    return db.wakeup._connect()


def _pid(conn: Any) -> int:
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = int(cur.fetchone()[0])
    cur.close()
    return pid


def _coalesced(cloudsql: LocalCloudSql, conn: Any, pid: int, other: Database, size: int) -> Coalesce:
    """Run a query whose reply is held until another instance's NOTIFY follows it in one record."""
    hold = cloudsql.proxy.coalesce(pid)
    errors: list[BaseException] = []

    def query() -> None:
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT repeat('x', {int(size)})")
            cur.fetchall()
            cur.close()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=query)
    thread.start()
    assert hold.reply_held.wait(HANG_S), "the proxy holds the reply"
    with other.session() as s:
        s.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": "another-instance:cs_9"})
    assert hold.sent.wait(HANG_S)
    thread.join(HANG_S)
    assert not thread.is_alive() and not errors, errors
    return hold


def _read_and_drop_notifications(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("SELECT 1")  # pg8000 reads what waits before this reply
    cur.fetchall()
    cur.close()
    conn.notifications.clear()


def _kill_listener(a: Database, b: Database) -> int:
    killed = a.wakeup.listener_pid
    with b.session() as s:
        assert s.execute(text("SELECT pg_terminate_backend(:p)"), {"p": killed}).scalar()
    return int(killed or 0)
