"""Paging on list routes over real HTTP: limit, opaque cursors, every item exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import select

from shared.bootstrap import Container
from shared.db.models import Dashboard
from shared.dev.seed import DEMO_EMAIL


def _team(container: Container) -> tuple[str, str]:
    from shared.dev.server import prepare

    return prepare(container)


def _seed(container: Container, team_id: str, conn_id: str, n: int) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with container.db.session() as s:
        for i in range(n):
            s.add(
                Dashboard(
                    team_id=team_id,
                    connection_id=conn_id,
                    slug=f"d-{i:03d}",
                    title=f"Dashboard {i}",
                    yaml_path=f"{team_id}/d-{i:03d}.yaml",
                    owner_user_id=DEMO_EMAIL,
                    version=1,
                    generation=1,
                    # ties on updated_at (groups of 7) must not lose or repeat a dashboard at a page edge
                    updated_at=base + timedelta(minutes=i // 7),
                )
            )


def _error(r: requests.Response, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:200])
    err = r.json()["error"]
    assert err["code"] and err["message"]


def test_120_dashboards_page_through_exactly_once(dev_server, container: Container, token) -> None:
    team_id, conn_id = _team(container)
    h = token(DEMO_EMAIL)
    url = f"{dev_server.url}/v1/teams/{team_id}/dashboards"
    before = requests.get(url, headers=h, params={"limit": 200}, timeout=30).json()["dashboards"]
    _seed(container, team_id, conn_id, 120)
    total = len(before) + 120

    first = requests.get(url, headers=h, timeout=30).json()
    assert len(first["dashboards"]) == 50 and first["next_cursor"]  # default limit 50
    seen: list[str] = []
    sizes = []
    cursor = None
    while True:
        params = {"limit": 45, **({"cursor": cursor} if cursor else {})}
        r = requests.get(url, headers=h, params=params, timeout=30)
        assert r.status_code == 200, r.text
        page = r.json()
        sizes.append(len(page["dashboards"]))
        seen += [d["slug"] for d in page["dashboards"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == total
    assert {f"d-{i:03d}" for i in range(120)} <= set(seen)
    assert sizes[:-1] == [45] * (len(sizes) - 1) and 0 < sizes[-1] <= 45
    everything = requests.get(url, headers=h, params={"limit": 200}, timeout=30).json()
    assert [d["slug"] for d in everything["dashboards"]] == seen and everything["next_cursor"] is None
    stamps = [d["updated_at"] for d in everything["dashboards"] if d["slug"].startswith("d-")]
    assert stamps == sorted(stamps, reverse=True)  # most recently updated first


def test_bad_limit_and_cursor_are_400(dev_server, container: Container, token) -> None:
    team_id, _ = _team(container)
    h = token(DEMO_EMAIL)
    for path in ["/v1/teams", f"/v1/teams/{team_id}/dashboards", f"/v1/teams/{team_id}/members"]:
        url = f"{dev_server.url}{path}"
        for params in [{"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"limit": "9" * 30}, {"foo": "1"}]:
            _error(requests.get(url, headers=h, params=params, timeout=30), 400)
        for cursor in ["not-a-cursor", "e30", "x" * 500, "eyJ2IjoxLCJvIjotMX0"]:
            _error(requests.get(url, headers=h, params={"cursor": cursor}, timeout=30), 400)
        ok = requests.get(url, headers=h, params={"limit": "1"}, timeout=30)
        assert ok.status_code == 200 and "next_cursor" in ok.json()


def test_every_list_route_pages(dev_server, container: Container, token) -> None:
    team_id, _ = _team(container)
    h = token(DEMO_EMAIL)
    for email in ["m1@example.com", "m2@example.com", "m3@example.com"]:
        r = requests.post(
            f"{dev_server.url}/v1/teams/{team_id}/members", json={"email": email, "role": "member"}, headers=h
        )
        assert r.status_code == 201, r.text
    for path, key in [
        ("/v1/teams", "teams"),
        (f"/v1/teams/{team_id}/members", "members"),
        (f"/v1/teams/{team_id}/connections", "connections"),
    ]:
        url = f"{dev_server.url}{path}"
        whole = requests.get(url, headers=h, timeout=30).json()
        assert whole["next_cursor"] is None
        got, cursor = [], None
        while True:
            page = requests.get(
                url, headers=h, params={"limit": 1, **({"cursor": cursor} if cursor else {})}
            ).json()
            assert len(page[key]) <= 1
            got += page[key]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert got == whole[key], path


def _page_all(url: str, h: dict[str, str], key: str, limit: int, between: Any) -> list[dict[str, Any]]:
    """Page through ``url`` with ``limit``, calling ``between(page_number)`` before each next page."""
    seen: list[dict[str, Any]] = []
    cursor, number = None, 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = requests.get(url, headers=h, params=params, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += body[key]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        number += 1
        between(number)


def test_dashboards_page_stably_while_others_are_saved_and_deleted(
    dev_server, container: Container, token
) -> None:
    """Keyset cursors: rows inserted and deleted on both sides of the cursor between pages shift
    nothing. Every dashboard there throughout is seen exactly once, in order; one deleted before
    its page was read never shows; new ones show at most once. (With offset cursors, each deletion
    of an already-read row skipped an unread one.)"""
    team_id, conn_id = _team(container)
    h = token(DEMO_EMAIL)
    url = f"{dev_server.url}/v1/teams/{team_id}/dashboards"
    with container.db.session() as s:
        for old in s.scalars(select(Dashboard).where(Dashboard.team_id == team_id)):
            s.delete(old)
    _seed(container, team_id, conn_id, 70)  # d-000 (oldest) .. d-069, ties in groups of 7
    base = datetime(2026, 1, 1, tzinfo=UTC)
    deleted: dict[str, int] = {}  # slug -> the page number before which it was deleted
    inserted: list[str] = []

    def churn(number: int) -> None:
        # newest first: page k holds roughly d-(69-7k) .. d-(63-7k); delete one read and one unread row
        read, unread = f"d-{69 - 7 * number + 3:03d}", f"d-{69 - 7 * number - 10:03d}"
        with container.db.session() as s:
            for slug in (read, unread):
                row = s.scalar(select(Dashboard).where(Dashboard.team_id == team_id, Dashboard.slug == slug))
                if row is not None and row.deleted_at is None:
                    row.deleted_at = datetime.now(UTC)
                    deleted[slug] = number
            for where in (69 - 7 * number + 2, 69 - 7 * number - 12):  # a new row on each side
                slug = f"n-{number:02d}-{where:03d}"
                s.add(
                    Dashboard(
                        team_id=team_id,
                        connection_id=conn_id,
                        slug=slug,
                        title=slug,
                        yaml_path=f"{team_id}/{slug}.yaml",
                        owner_user_id=DEMO_EMAIL,
                        version=1,
                        generation=1,
                        updated_at=base + timedelta(minutes=max(where, 0) // 7, seconds=30),
                    )
                )
                inserted.append(slug)

    items = _page_all(url, h, "dashboards", 7, churn)
    seen = [d["slug"] for d in items]

    assert len(seen) == len(set(seen)), [s for s in seen if seen.count(s) > 1]
    throughout = {f"d-{i:03d}" for i in range(70)} - set(deleted)
    assert throughout <= set(seen)
    early = {slug for slug, number in deleted.items() if f"d-{69 - 7 * number - 10:03d}" == slug}
    assert not early & set(seen), early & set(seen)  # deleted before its page was read
    assert set(seen) <= throughout | set(deleted) | set(inserted)
    assert deleted and any(slug in seen for slug in inserted)  # the churn really happened
    keys = [(datetime.fromisoformat(d["updated_at"]).timestamp(), d["slug"]) for d in items]
    assert keys == sorted(keys, key=lambda k: (-k[0], k[1]))  # in list order across pages


def test_members_page_stably_while_members_join_and_leave(dev_server, container: Container, token) -> None:
    team_id, _ = _team(container)
    h = token(DEMO_EMAIL)
    url = f"{dev_server.url}/v1/teams/{team_id}/members"
    emails = [f"m{i:02d}@example.com" for i in range(30)]
    for i, email in enumerate(emails):
        body = {"email": email, "role": "admin" if i % 10 == 0 else "member"}
        assert requests.post(url, json=body, headers=h, timeout=30).status_code == 201
    removed: set[str] = set()

    def churn(number: int) -> None:
        gone = emails[3 * number]  # read already or not, depending on the admins-first order
        if requests.delete(f"{url}/{gone}", headers=h, timeout=30).status_code == 204:
            removed.add(gone)
        joined = {"email": f"new{number:02d}@example.com", "role": "member"}
        assert requests.post(url, json=joined, headers=h, timeout=30).status_code == 201

    seen = [m["email"] for m in _page_all(url, h, "members", 4, churn)]

    assert len(seen) == len(set(seen))
    assert (set(emails) | {DEMO_EMAIL}) - removed <= set(seen)
    ranks = [0 if e in {DEMO_EMAIL, *emails[::10]} else 1 for e in seen]
    assert ranks == sorted(ranks)  # admins first, even across pages


def test_the_catalog_pages_by_table_while_a_scan_adds_and_removes_tables(
    dev_server, container: Container, token
) -> None:
    """The catalog is a list that grows with the warehouse: paged by table (name order, keyset),
    datasets without tables on the first page, a dataset's tables merged across pages."""
    from shared.db.models import Dataset, Table

    _, conn_id = _team(container)
    h = token(DEMO_EMAIL)
    with container.db.session() as s:
        extra = Dataset(connection_id=conn_id, fully_qualified_name="demo.extra")
        empty = Dataset(connection_id=conn_id, fully_qualified_name="demo.zz_empty")
        s.add_all([extra, empty])
        s.flush()
        for i in range(20):
            s.add(Table(dataset_id=extra.id, fully_qualified_name=f"demo.extra.t{i:02d}", table_type="TABLE"))
        extra_id = extra.id
    url = f"{dev_server.url}/v1/connections/{conn_id}/catalog"
    whole = requests.get(url, headers=h, params={"limit": 200}, timeout=30).json()
    before = {t["fully_qualified_name"] for d in whole["datasets"] for t in d["tables"]}
    assert len(before) == 27 and whole["next_cursor"] is None
    removed, added = set(), set()
    pages, cursor, number = [], None, 0
    while True:
        r = requests.get(
            url, headers=h, params={"limit": 4, **({"cursor": cursor} if cursor else {})}, timeout=30
        )
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        assert sum(len(d["tables"]) for d in page["datasets"]) <= 4
        cursor = page["next_cursor"]
        if cursor is None:
            break
        number += 1
        with container.db.session() as s:  # a rescan meanwhile: one table gone, one new, each side
            for name in (f"demo.extra.t{number:02d}", f"demo.extra.t{19 - number:02d}"):
                gone = s.scalar(select(Table).where(Table.fully_qualified_name == name))
                if gone is not None:
                    s.delete(gone)
                    removed.add(name)
            for name in (f"demo.extra.a{number:02d}", f"demo.extra.u{number:02d}"):
                s.add(Table(dataset_id=extra_id, fully_qualified_name=name, table_type="TABLE"))
                added.add(name)
    seen = [t["fully_qualified_name"] for p in pages for d in p["datasets"] for t in d["tables"]]
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    assert before - removed <= set(seen) <= before | added
    assert any(name in seen for name in added) and removed - set(seen)  # the rescan really ran
    first = {d["fully_qualified_name"] for d in pages[0]["datasets"]}
    assert "demo.zz_empty" in first  # no table, listed once, on the first page
    later = [d["fully_qualified_name"] for p in pages[1:] for d in p["datasets"]]
    assert "demo.zz_empty" not in later
    bad = requests.get(url, headers=h, params={"cursor": pages[0]["next_cursor"][:-2]}, timeout=30)
    assert bad.status_code == 400
    from shared.entry.paging import encode_cursor

    for foreign in [encode_cursor("teams", [datetime.now(UTC), "tm_x"]), encode_cursor("catalog", ["a", 1])]:
        assert requests.get(url, headers=h, params={"cursor": foreign}, timeout=30).status_code == 400
