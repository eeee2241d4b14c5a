"""Each email bound to the first subject that signs in with it (SQLite and real PostgreSQL)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from shared.adapters.identity.binding import SubjectBinding, rebind
from shared.adapters.identity.port import Principal
from shared.db.engine import Database, sqlite_engine
from shared.db.migrate import upgrade
from shared.db.models import UserIdentity
from shared.errors import Unauthorized


class Tokens:
    """An identity whose token text is ``email|subject`` (the binding is what is under test)."""

    def verify(self, token: str) -> Principal:
        email, _, subject = token.partition("|")
        return Principal(user_id=email, email=email, subject=subject)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    engine = sqlite_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    upgrade(engine)
    yield Database(engine)
    engine.dispose()


def bound(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {r.email: r.subject for r in s.scalars(select(UserIdentity))}


def test_the_first_subject_binds_and_another_is_refused(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    identity = SubjectBinding(Tokens(), db)
    assert identity.verify("ada@example.com|uid-1").subject == "uid-1"
    assert identity.verify("ada@example.com|uid-1").email == "ada@example.com"  # same account again
    with caplog.at_level(logging.WARNING, "bridge.identity"), pytest.raises(Unauthorized, match="another"):
        identity.verify("ada@example.com|uid-2")  # deleted and re-created: a new sub
    assert "uid-2" in caplog.text and "uid-1" in caplog.text and "ada@example.com|" not in caplog.text
    assert identity.verify("bob@example.com|uid-2").subject == "uid-2"  # other emails are independent
    assert bound(db) == {"ada@example.com": "uid-1", "bob@example.com": "uid-2"}
    with pytest.raises(Unauthorized, match="no subject"):
        identity.verify("eve@example.com|")
    assert "eve@example.com" not in bound(db)


def test_rebind_moves_or_clears_the_binding(db: Database) -> None:
    identity = SubjectBinding(Tokens(), db)
    identity.verify("ada@example.com|uid-1")

    assert rebind(db, " Ada@Example.com ", "uid-2") == "uid-1"
    identity.verify("ada@example.com|uid-2")
    with pytest.raises(Unauthorized):
        identity.verify("ada@example.com|uid-1")

    assert rebind(db, "ada@example.com") == "uid-2"  # cleared: the next sign-in binds
    assert rebind(db, "ada@example.com") is None  # clearing again is a no-op
    identity.verify("ada@example.com|uid-3")
    assert bound(db) == {"ada@example.com": "uid-3"}
    assert rebind(db, "new@example.com", "uid-9") is None  # binding ahead of the first sign-in
    with pytest.raises(Unauthorized):
        identity.verify("new@example.com|uid-8")


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
@pytest.mark.parametrize("subjects", [("uid-1", "uid-1"), ("uid-1", "uid-2")])
def test_racing_first_sign_ins_bind_once(db: Database, subjects: tuple[str, str]) -> None:
    """Both requests read "unbound" before either inserts; the loser's retry reads the winner's row.

    Postgres only: on SQLite a write transaction begins IMMEDIATE, so the second waits at
    ``BEGIN`` until the first commits (the next test).
    """
    barrier = threading.Barrier(2, timeout=10)
    waits: list[int] = []

    @event.listens_for(Session, "before_flush")
    def both_read_before_either_writes(session: Session, *_: object) -> None:
        if any(isinstance(o, UserIdentity) for o in session.new) and len(waits) < 2:
            waits.append(1)
            barrier.wait()

    identity = SubjectBinding(Tokens(), db)
    results: list[str] = []

    def sign_in(subject: str) -> None:
        try:
            results.append(identity.verify(f"ada@example.com|{subject}").subject)
        except Unauthorized:
            results.append("refused")

    try:
        threads = [threading.Thread(target=sign_in, args=(s,)) for s in subjects]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        event.remove(Session, "before_flush", both_read_before_either_writes)

    assert len(waits) == 2  # the race really happened: both tried to insert
    _bound_once(db, subjects, results)


def _bound_once(db: Database, subjects: tuple[str, str], results: list[str]) -> None:
    """One subject won the binding; the same subject signs in twice, another one is refused."""
    winner = bound(db)["ada@example.com"]
    assert winner in subjects
    if subjects[0] == subjects[1]:
        assert results == ["uid-1", "uid-1"]
    else:
        assert sorted(results) == sorted([winner, "refused"])


@pytest.mark.parametrize("subjects", [("uid-1", "uid-1"), ("uid-1", "uid-2")])
def test_concurrent_first_sign_ins_on_sqlite_wait_their_turn(
    tmp_path: Path, subjects: tuple[str, str]
) -> None:
    """The second sign-in's transaction begins after the first commits, so it reads the binding."""
    db = Database(sqlite_engine(f"sqlite:///{tmp_path / 'bind.db'}"))
    upgrade(db.engine)
    start = threading.Barrier(2, timeout=10)
    identity = SubjectBinding(Tokens(), db)
    results: list[str] = []

    def sign_in(subject: str) -> None:
        start.wait()
        try:
            results.append(identity.verify(f"ada@example.com|{subject}").subject)
        except Unauthorized:
            results.append("refused")

    threads = [threading.Thread(target=sign_in, args=(s,)) for s in subjects]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    _bound_once(db, subjects, results)
    db.engine.dispose()
