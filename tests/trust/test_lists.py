"""Lists are paged and stay exact while they change; deleting a dashboard is for its owner and admins.

Finding 11: 1,500 dashboards came back as one 705 KB response, and any member could delete any
dashboard. Here team A holds 1,500 dashboards; every page is bounded, and a client paging through
them while another writer saves and deletes dashboards on both sides of its position loses none
that was there throughout and sees none twice (keyset cursors, shared/entry/paging.py).
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from shared.db.models import Dashboard

from .conftest import TwoTeams
from .figures import record, scaled
from .helpers import GOOD, TIMEOUT, put_yaml

TOTAL = 1500
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def _dashboard(env: TwoTeams, slug: str, minute: int) -> Dashboard:
    return Dashboard(
        team_id=env.a.team_id,
        connection_id=env.a.connection_id,
        slug=slug,
        title=slug,
        yaml_path=f"{env.a.team_id}/{slug}.yaml",
        owner_user_id="alice@a.example",
        version=1,
        generation=1,
        updated_at=BASE + timedelta(minutes=minute),
    )


def test_1500_dashboards_page_bounded_and_exact_under_concurrent_writes(two_teams: TwoTeams) -> None:
    env = two_teams
    with env.container.db.session() as s:
        s.add_all(_dashboard(env, f"d-{i:04d}", i // 3) for i in range(TOTAL))  # ties in threes
    url = f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards"

    first = requests.get(url, headers=env.a.headers, timeout=TIMEOUT)
    assert first.status_code == 200 and len(first.json()["dashboards"]) == 50  # the default page
    assert len(first.content) < 64_000, len(first.content)  # was 705 KB for everything
    assert requests.get(url, headers=env.a.headers, params={"limit": 201}, timeout=TIMEOUT).status_code == 400

    rng = random.Random(18)
    deleted: set[str] = set()
    added: set[str] = set()
    stop = threading.Event()

    def writer() -> None:  # saves and deletes all over the list while the reader pages
        n = 0
        while not stop.is_set():
            with env.container.db.session() as s:
                victim = s.scalar(
                    select(Dashboard).where(
                        Dashboard.team_id == env.a.team_id, Dashboard.slug == f"d-{rng.randrange(TOTAL):04d}"
                    )
                )
                if victim is not None and victim.deleted_at is None:
                    victim.deleted_at = datetime.now(UTC)
                    deleted.add(victim.slug)
                slug = f"n-{n:04d}"
                s.add(_dashboard(env, slug, rng.randrange(TOTAL // 3)))
                added.add(slug)
            n += 1
            stop.wait(0.005)

    seen: list[str] = []
    pages, largest = 0, 0
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        cursor = None
        while True:
            params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            r = requests.get(url, headers=env.a.headers, params=params, timeout=TIMEOUT)
            assert r.status_code == 200, r.text
            body = r.json()
            assert len(body["dashboards"]) <= 200
            largest = max(largest, len(r.content))
            seen += [d["slug"] for d in body["dashboards"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        thread.join(timeout=30)

    throughout = {f"d-{i:04d}" for i in range(TOTAL)} - deleted
    lost = len(throughout - set(seen))
    duplicated = len(seen) - len(set(seen))
    record(
        "lists: 1,500 dashboards paged under writes",
        tried=pages,
        rejected=1,
        lost=lost,
        duplicated=duplicated,
    )
    assert deleted and added  # the writer really ran
    assert lost == 0 and duplicated == 0, (lost, duplicated)
    assert set(seen) <= throughout | deleted | added
    assert largest < 256_000, largest  # a full page of 200 stays small


def test_deleting_a_dashboard_is_for_its_owner_and_the_team_admins(two_teams: TwoTeams) -> None:
    env = two_teams
    base = f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards"
    tried = 0
    for i in range(scaled(2)):
        alices, carols = f"alice-{i}", f"carol-{i}"
        assert put_yaml(env.server, env.a.headers, env.a.team_id, alices, GOOD).status_code == 201
        assert put_yaml(env.server, env.member, env.a.team_id, carols, GOOD).status_code == 201
        # carol (a plain member) may not delete alice's dashboard; bob (another team) sees nothing
        refused = requests.delete(f"{base}/{alices}", headers=env.member, timeout=TIMEOUT)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        hidden = requests.delete(f"{base}/{alices}", headers=env.b.headers, timeout=TIMEOUT)
        assert hidden.status_code == 404
        assert requests.get(f"{base}/{alices}", headers=env.a.headers, timeout=TIMEOUT).status_code == 200
        # her own she may; an admin may delete anyone's
        assert requests.delete(f"{base}/{carols}", headers=env.member, timeout=TIMEOUT).status_code == 204
        assert put_yaml(env.server, env.member, env.a.team_id, f"{carols}-b", GOOD).status_code == 201
        admin = requests.delete(f"{base}/{carols}-b", headers=env.a.headers, timeout=TIMEOUT)
        assert admin.status_code == 204
        assert requests.delete(f"{base}/{alices}", headers=env.a.headers, timeout=TIMEOUT).status_code == 204
        tried += 5
    record("lists: who may delete a dashboard", tried=tried, rejected=2 * scaled(2))
