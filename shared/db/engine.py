"""Engines for the directory database: SQLite file, PostgreSQL via pg8000, or Cloud SQL's connector."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shared.settings import Settings

if TYPE_CHECKING:
    from shared.db.sqlite_writer import WriterTurn

T = TypeVar("T")

BUSY_TIMEOUT_S = 30  # how long a SQLite writer waits for its turn
READ_ONLY = "bridge_read_only"  # execution option of :meth:`Database.read` transactions


def make_engine(settings: Settings) -> Engine:
    """Build the engine the settings ask for (no connection is opened yet)."""
    if settings.cloudsql_instance:
        return _cloudsql_engine(settings)
    url = settings.database_url
    if url.startswith("sqlite"):
        return sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+pg8000://" + url.removeprefix("postgresql://")
    return with_liveness_check(
        create_engine(
            url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow, pool_recycle=1800
        )
    )


def with_liveness_check(engine: Engine) -> Engine:
    """Ping each pooled connection on checkout; a dead one is replaced instead of failing the request.

    This replaces ``pool_pre_ping``: pg8000 reports a reset socket as a bare ``OSError``, which
    SQLAlchemy does not recognise as a disconnect, so the pre-ping would fail the request.
    """

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
        except Exception as exc:
            raise DisconnectionError(f"stale pooled connection: {type(exc).__name__}") from exc

    return engine


def sqlite_engine(url: str) -> Engine:
    """SQLite with WAL (synchronous=NORMAL), foreign keys and a busy timeout, safe to share between threads.

    Transactions begin ``IMMEDIATE`` (the writer lock is taken at ``BEGIN``, waiting on the busy
    timeout), so a transaction that reads and then writes never meets SQLite's busy snapshot, which
    fails at the first write without waiting when another writer committed after the read. A
    :meth:`Database.read` transaction begins deferred and refuses writes (``PRAGMA query_only``).
    """
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL's own recommendation: a commit appends to the log without an fsync (the log is synced
        # at checkpoints). The file stays consistent after any crash; a power loss may drop the last
        # commits, which an agent step redoes from its session-log record. Local database only.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.close()
        # SQLAlchemy's recipe for pysqlite: the driver emits no BEGIN of its own; the "begin" event does
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        read_only = bool(conn.get_execution_options().get(READ_ONLY, False))
        dbapi_conn = conn.connection.dbapi_connection
        if conn.info.get(READ_ONLY, False) != read_only:  # the pragma stays set on the connection
            dbapi_conn.execute(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
            conn.info[READ_ONLY] = read_only
        dbapi_conn.execute("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")

    return engine


def _cloudsql_engine(settings: Settings) -> Engine:
    """Cloud SQL Postgres through the connector (lazy refresh suits serverless CPU throttling).

    The connector (a thread, an HTTP session, credentials) starts with the first connection and
    is closed by ``Engine.dispose()``; a later connection starts another.
    """
    from google.cloud.sql.connector import Connector, RefreshStrategy

    started: list[Connector] = []
    lock = threading.Lock()

    def creator() -> Any:
        with lock:
            if not started:
                started.append(
                    Connector(
                        refresh_strategy=RefreshStrategy.LAZY,
                        sqladmin_api_endpoint=settings.cloudsql_admin_url,
                    )
                )
            connector = started[0]
        return connector.connect(
            settings.cloudsql_instance,
            "pg8000",
            user=settings.db_user,
            db=settings.db_name,
            enable_iam_auth=settings.db_iam_auth,
        )

    engine = with_liveness_check(
        create_engine(
            "postgresql+pg8000://",
            creator=creator,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_recycle=1800,
        )
    )

    @event.listens_for(engine, "engine_disposed")
    def _close_connector(_engine: Engine) -> None:
        with lock:
            stopping = started.pop() if started else None
        if stopping is not None:
            stopping.close()

    return engine


class Database:
    """An engine plus a unit-of-work helper."""

    def __init__(self, engine: Engine) -> None:
        from shared.db.wakeup import Wakeup

        self.engine = engine
        self.wakeup = Wakeup(engine)  # wakes event streams when a write for their session commits
        self._sessions = sessionmaker(engine, expire_on_commit=False, info={"wakeup": self.wakeup})
        event.listen(self._sessions, "after_commit", self.wakeup.after_commit)
        event.listen(self._sessions, "after_rollback", self.wakeup.after_rollback)
        self._reads = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        self._turn: WriterTurn | None = None
        if engine.dialect.name == "sqlite":
            from shared.db.sqlite_writer import WriterTurn

            file = engine.url.database
            turn = WriterTurn(Path(file) if file and file != ":memory:" else None, BUSY_TIMEOUT_S)
            event.listen(engine, "engine_disposed", lambda _engine: turn.close())
            self._turn = turn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error (on SQLite it holds the writer lock).

        On SQLite, writers take turns (:class:`~shared.db.sqlite_writer.WriterTurn`), and a second
        one opened on the same thread inside the first fails at once.
        """
        if self._turn is None:
            with self._sessions() as session, session.begin():
                yield session
            return
        with self._turn.held(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it takes no writer lock and refuses writes."""
        with self._reads() as session, session.begin():
            yield session

    def run(self, fn: Callable[[Session], T], *, attempts: int = 4) -> T:
        """Run ``fn`` in a transaction, retried when a concurrent writer got there first.

        For idempotent work only (a first sign-in's binding, a repair; a read that may repair goes
        through :meth:`read_or_repair`): a unique-key clash or a SQLite snapshot conflict means
        another request wrote the same row, so a retry reads it.
        """
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

        for attempt in Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.01),  # 10 ms, 20 ms, 40 ms, ...
            retry=retry_if_exception(_write_conflict),
            reraise=True,
        ):
            with attempt, self.session() as s:
                return fn(s)
        raise AssertionError("unreachable")

    def read_or_repair(self, fn: Callable[[Session], T]) -> T:
        """A read that may repair a row: in a read transaction, and only if ``fn`` writes, again as :meth:`run`.

        On SQLite most such reads write nothing and so take no writer lock. ``fn`` must be safe to
        run twice (it is idempotent, as :meth:`run` requires). On PostgreSQL it is :meth:`run`.
        """
        if self._turn is None:
            return self.run(fn)
        try:
            with self.read() as s:
                return fn(s)
        except OperationalError as exc:
            if not _refused_write(exc):
                raise
        return self.run(fn)


def _refused_write(exc: BaseException) -> bool:
    """SQLite refused a write in a :meth:`Database.read` transaction (``PRAGMA query_only``)."""
    orig = getattr(exc, "orig", None)
    return isinstance(exc, OperationalError) and getattr(orig, "sqlite_errorname", "") == "SQLITE_READONLY"


def _write_conflict(exc: BaseException) -> bool:
    """A unique-key clash, or SQLite's lock / snapshot conflict: another writer got there first."""
    if isinstance(exc, IntegrityError):
        return True
    return isinstance(exc, OperationalError) and ("locked" in str(exc) or "snapshot" in str(exc))
