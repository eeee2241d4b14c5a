"""Wake the readers of a key (a chat session's event log) when a transaction that wrote for it commits.

A writer marks the key in its transaction (:func:`mark`). When that transaction commits, every
reader watching the key in this process wakes at once (one condition variable); on PostgreSQL the
mark is also a ``pg_notify`` in the same transaction (sent at commit, dropped by a rollback), and
one listener connection per process turns the other instances' notifications into the same
wake-up. A notification can still be missed (the listener reconnecting, another process writing
the SQLite file), so readers keep a slow poll as a fallback.
"""

from __future__ import annotations

import io
import logging
import select
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
CHANNEL = "bridge_wake"
LINGER_S = 30.0  # the listener stays connected this long after its last watcher left
RECONNECT_S = 1.0
SELECT_S = 1.0  # the listener's longest wait for the server; it checks whether anyone still watches


class Watch:
    """One reader's view of a key: read :attr:`version` before querying, then :meth:`wait` on it."""

    def __init__(self, wakeup: Wakeup, key: str) -> None:
        self._wakeup, self.key = wakeup, key

    @property
    def version(self) -> int:
        with self._wakeup._cond:
            return self._wakeup._versions.get(self.key, (0, 0))[0]

    def wait(self, seen: int, timeout: float) -> bool:
        """Until a write for the key committed after ``seen`` was read; False after ``timeout``."""
        w = self._wakeup
        with w._cond:
            return w._cond.wait_for(lambda: w._versions.get(self.key, (0, 0))[0] != seen, timeout)


class Wakeup:
    """The wake-ups of one database (see the module docstring); ``listen`` only on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.instance = uuid.uuid4().hex[:12]  # this process's own notifications are already delivered
        self.postgres = engine.dialect.name == "postgresql"
        self._cond = threading.Condition()
        self._versions: dict[str, tuple[int, int]] = {}  # key -> (version, watchers)
        self._listener: threading.Thread | None = None
        self.listening = threading.Event()  # set while the listener holds LISTEN (tests, health)
        self.notified = 0  # notifications from other instances turned into wake-ups
        self.listener_pid: int | None = None  # the listening connection's server process
        self.forward: Callable[[list[str]], None] | None = None  # a task process's parent wakes too

    @contextmanager
    def watch(self, key: str) -> Iterator[Watch]:
        """Count wake-ups of ``key`` while the block runs (a stream's lifetime)."""
        with self._cond:
            version, watchers = self._versions.get(key, (0, 0))
            self._versions[key] = (version, watchers + 1)
            if self.postgres and (self._listener is None or not self._listener.is_alive()):
                self._listener = threading.Thread(target=self._listen, name="bridge-db-listen", daemon=True)
                self._listener.start()
        try:
            yield Watch(self, key)
        finally:
            with self._cond:
                version, watchers = self._versions[key]
                if watchers <= 1:
                    del self._versions[key]
                else:
                    self._versions[key] = (version, watchers - 1)
                self._cond.notify_all()

    def wake(self, keys: set[str] | list[str]) -> None:
        with self._cond:
            for key in keys:
                if key in self._versions:
                    version, watchers = self._versions[key]
                    self._versions[key] = (version + 1, watchers)
            self._cond.notify_all()

    def after_commit(self, session: Session) -> None:
        keys = session.info.pop("wake_keys", None)
        if keys:
            self.wake(keys)
            if self.forward is not None:
                self.forward(sorted(keys))

    def after_rollback(self, session: Session) -> None:
        session.info.pop("wake_keys", None)

    def _listen(self) -> None:
        """LISTEN on a connection of its own (detached from the pool) while anyone watches."""
        idle_since: float | None = None
        while True:
            try:
                conn = self._connect()
            except Exception as exc:
                log.warning("database listener cannot connect: %s", type(exc).__name__)
                conn = None
            try:
                while conn is not None:
                    with self._cond:
                        if self._versions:
                            idle_since = None
                        elif idle_since is None:
                            idle_since = _now()
                        elif _now() - idle_since >= LINGER_S:
                            self._listener = None  # decided under the lock: a new watcher starts another
                            return
                    self._drain(conn, timeout=SELECT_S)
            except Exception as exc:
                with self._cond:
                    watched = bool(self._versions)
                (log.warning if watched else log.debug)(
                    "database listener lost its connection: %s", type(exc).__name__
                )
            finally:
                self.listening.clear()
                if conn is not None:
                    _close(conn)
            with self._cond:
                if not self._versions:
                    self._listener = None
                    return
                self._cond.wait(RECONNECT_S)

    def _connect(self) -> Any:
        proxied = self.engine.raw_connection()
        proxied.detach()  # ours for as long as we listen; the pool opens another for requests
        conn: Any = proxied.dbapi_connection
        conn.rollback()  # the pool's liveness check opened a transaction: LISTEN must not wait in it
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute(f"LISTEN {CHANNEL}")
        cur.execute("SELECT pg_backend_pid()")
        self.listener_pid = int(cur.fetchone()[0])
        cur.close()
        self.listening.set()
        return conn

    def _drain(self, conn: Any, timeout: float) -> None:
        """Wait for the server to send something, then run a no-op so pg8000 reads notifications."""
        if not conn.notifications and not _buffered(conn):
            _wait_readable(conn, timeout)
        cur = conn.cursor()
        cur.execute("SELECT 1")
        cur.fetchall()
        cur.close()
        keys = set()
        while conn.notifications:
            _pid, channel, payload = conn.notifications.popleft()
            instance, _, key = str(payload).partition(":")
            if channel == CHANNEL and instance != self.instance:
                keys.add(key)
        if keys:
            self.notified += len(keys)
            self.wake(keys)


def mark(s: Session, key: str) -> None:
    """Wake ``key``'s readers when ``s``'s transaction commits (no-op for a plain session)."""
    wakeup = s.info.get("wakeup")
    if not isinstance(wakeup, Wakeup):
        return
    keys = s.info.setdefault("wake_keys", set())
    if key in keys:
        return
    keys.add(key)
    if wakeup.postgres:
        s.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": f"{wakeup.instance}:{key}"})


def _pg8000_streams(conn: Any) -> tuple[socket.socket, io.BufferedRWPair]:
    """pg8000's socket and the buffered file it reads messages through: the only private
    attributes the listener reads (pg8000 1.31 ``_usock`` and ``_sock``; tests fail if renamed).

    pg8000 has no public way to wait for a notification (``conn.notifications`` fills only while a
    query reads), and Cloud SQL's connector hands pg8000 its ``ssl.SSLSocket`` without keeping it.
    """
    return conn._usock, conn._sock


def _buffered(conn: Any) -> bool:
    """Whether bytes were already read from the socket and wait unparsed (a notification that
    arrived with the last reply): in pg8000's read buffer or, on Cloud SQL's TLS socket, decrypted
    inside the SSL object. ``select`` on the socket sees neither. Peeks with the socket non-blocking.
    """
    sock, reader = _pg8000_streams(conn)
    timeout = sock.gettimeout()
    try:
        sock.settimeout(0.0)
        return bool(reader.peek(1))
    except OSError:  # nothing to read now (BlockingIOError, ssl.SSLWantReadError)
        return False
    finally:
        sock.settimeout(timeout)


def _wait_readable(conn: Any, timeout: float) -> None:
    """Until the server sends something (or ``timeout``); call only when nothing is buffered."""
    select.select([_pg8000_streams(conn)[0]], [], [], timeout)


def _close(conn: Any) -> None:
    with suppress(Exception):
        conn.close()


def _now() -> float:
    import time

    return time.monotonic()
