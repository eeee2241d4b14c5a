"""A warm cache hit, remembered whole on the instance, answers without a database session.

The membership + pointer memo (``POINTER_TTL_S``) and the serialized response are what the hit
path read first anyway; with both fresh the route answers from them, and when either is gone it
takes the full path (one pointer query) again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from sqlalchemy import event
from test_dashboards_api import GOOD, put, setup_team

from shared.bootstrap import Container
from shared.services.serving.access import POINTER_TTL_S


@pytest.fixture
def counted(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Counts of database sessions opened (write or read-only) and SQL statements run, from now on."""
    counts = {"sessions": 0, "statements": 0}

    def counting(opened: Any) -> Any:
        @contextmanager
        def session() -> Iterator[Any]:
            counts["sessions"] += 1
            with opened() as s:
                yield s

        return session

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    monkeypatch.setattr(container.db, "session", counting(container.db.session))
    monkeypatch.setattr(container.db, "read", counting(container.db.read))
    event.listen(container.db.engine, "before_cursor_execute", statement)
    yield counts
    event.remove(container.db.engine, "before_cursor_execute", statement)


def _get(dev_server: Any, h: dict[str, str], t: str, slug: str = "rev") -> requests.Response:
    return requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/{slug}/data", headers=h)


def _saved_and_served(dev_server: Any, token: Any, container: Container) -> tuple[dict[str, str], str, bytes]:
    """Alice's team with the dashboard "rev" saved, warmed and served once (all hits)."""
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "rev", GOOD).status_code == 201
    container.task_queue.join(10)
    first = _get(dev_server, h, t)
    assert first.status_code == 200 and {v["cache"] for v in first.json()["views"]} == {"hit"}
    return h, t, first.content


def test_a_remembered_hit_opens_no_session_and_runs_no_sql(
    dev_server: Any, token: Any, container: Container, counted: dict[str, int]
) -> None:
    h, t, first = _saved_and_served(dev_server, token, container)
    counted.update(sessions=0, statements=0)

    second = _get(dev_server, h, t)
    assert second.status_code == 200 and second.content == first
    assert counted == {"sessions": 0, "statements": 0}

    svc = container.data_service
    real = svc.clock
    svc.clock = lambda: real() + POINTER_TTL_S + 1  # the membership memo has aged out
    try:
        third = _get(dev_server, h, t)
    finally:
        svc.clock = real
    assert third.status_code == 200 and counted["sessions"] == 1 and counted["statements"] >= 1


def test_a_remembered_hit_is_only_for_its_member_and_its_generation(
    dev_server: Any, token: Any, container: Container, counted: dict[str, int]
) -> None:
    h, t, _ = _saved_and_served(dev_server, token, container)
    assert _get(dev_server, h, t).status_code == 200  # remembered now

    other = token("mallory@example.com")
    assert _get(dev_server, other, t).status_code == 404  # another user's memo is not this one's

    retitled = GOOD.replace("title: Revenue overview", "title: Revenue, retitled")
    assert put(dev_server, h, t, "rev", retitled, version=1).status_code == 200
    container.task_queue.join(10)
    counted.update(sessions=0, statements=0)
    after = _get(dev_server, h, t)
    assert after.status_code == 200 and after.json()["dashboard"]["title"] == "Revenue, retitled"
    assert counted["sessions"] == 1  # a save through this instance forgets the memo at once
