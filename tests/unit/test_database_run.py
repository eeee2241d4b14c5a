"""Database.run: an idempotent transaction retried (tenacity) when a concurrent writer got there first."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from testkit import sqlite_db

from shared.db.engine import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return sqlite_db(
        tmp_path / "run.db",
        "CREATE TABLE pointer (slug TEXT PRIMARY KEY, version INTEGER)",
        "INSERT INTO pointer VALUES ('sales', 3)",
    )


def test_a_unique_key_clash_is_retried_and_the_retry_reads_the_winner(db: Database) -> None:
    calls: list[int] = []

    def repair(s: Session) -> int:
        calls.append(1)
        if len(calls) == 1:  # first attempt: we lose the race to insert the pointer row
            s.execute(text("INSERT INTO pointer VALUES ('sales', 4)"))
        return int(s.execute(text("SELECT version FROM pointer WHERE slug = 'sales'")).scalar_one())

    assert db.run(repair) == 3
    assert len(calls) == 2


def test_a_clash_every_time_gives_up_after_the_attempts(db: Database) -> None:
    calls: list[int] = []

    def always_clash(s: Session) -> None:
        calls.append(1)
        s.execute(text("INSERT INTO pointer VALUES ('sales', 5)"))

    with pytest.raises(IntegrityError):
        db.run(always_clash, attempts=3)
    assert len(calls) == 3


def test_other_database_errors_are_not_retried(db: Database) -> None:
    calls: list[int] = []

    def broken(s: Session) -> None:
        calls.append(1)
        s.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(OperationalError):
        db.run(broken)
    assert len(calls) == 1
