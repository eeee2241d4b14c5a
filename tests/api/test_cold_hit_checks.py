"""A cold instance serves a shared hit response only when every check of the full path holds.

A cold instance here is a second container over the same settings (same database, buckets and
secret) whose serving service is not built, with serve_data's app: what a new Cloud Functions
instance is. Each refusal is seen to fall to the full path (``cold_hits.served`` unchanged),
which answers as before: 401, 404, a view error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from flask.testing import FlaskClient
from test_dashboards_api import GOOD, put, setup_team

from shared.adapters.directory.dbapi import for_url
from shared.adapters.directory.orm import OrmHitReads
from shared.adapters.identity.local import LocalIdentity
from shared.bootstrap import Container
from shared.db.models import Dashboard, Dataset, Table, TeamMember
from shared.entry.app import create_app
from shared.entry.functions import FUNCTIONS


@pytest.fixture
def shared_hit(dev_server, token, container: Container) -> Iterator[tuple[dict[str, str], str, str]]:
    """A saved dashboard whose hit response the running instance has just shared."""
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "rev", GOOD).status_code == 201
    assert container.task_queue.join(15)
    path = f"/v1/teams/{t}/dashboards/rev/data"
    svc = container.data_service
    svc.versions._memo.clear()
    svc._responses.clear()
    assert requests.get(f"{dev_server.url}{path}", headers=h).status_code == 200
    assert svc.shared.flush()
    yield h, t, path


def _cold(c: Container) -> tuple[Container, FlaskClient]:
    cold = Container(c.settings)
    return cold, create_app(FUNCTIONS["serve_data"](), name="serve_data", container=cold).test_client()


def test_a_cold_instance_serves_the_shared_response(shared_hit, dev_server, container: Container) -> None:
    h, _t, path = shared_hit
    warm = requests.get(f"{dev_server.url}{path}", headers=h).json()
    cold, client = _cold(container)
    r = client.get(path, headers=h)
    assert r.status_code == 200 and cold.cold_hits is not None and cold.cold_hits.served == 1
    assert not cold.data_service_built
    assert r.get_json() == warm and {v["cache"] for v in warm["views"]} == {"hit"}
    gz = client.get(path, headers={**h, "Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and cold.cold_hits.served == 2


def test_another_team_s_ids_and_a_removed_member_are_404(
    shared_hit, dev_server, token, container: Container
) -> None:
    h, t, path = shared_hit
    other_h, other_t = setup_team(dev_server, token, "mallory@example.com")  # signed in: bound
    assert put(dev_server, other_h, other_t, "rev", GOOD).status_code == 201
    cold, client = _cold(container)
    assert client.get(path, headers=other_h).status_code == 404  # team A's dashboard, user B
    assert client.get(f"/v1/teams/{other_t}/dashboards/rev/data", headers=h).status_code == 404
    assert cold.cold_hits is not None and cold.cold_hits.served == 0

    with container.db.session() as s:
        s.query(TeamMember).filter_by(team_id=t, user_id="alice@example.com").delete()
    cold, client = _cold(container)
    assert client.get(path, headers=h).status_code == 404
    assert cold.cold_hits is not None and cold.cold_hits.served == 0


def test_a_forged_token_is_401(shared_hit, container: Container) -> None:
    _h, _t, path = shared_hit
    forged = LocalIdentity("not-the-secret-0123456789-0123456789-x").issue("alice@example.com")
    cold, client = _cold(container)
    r = client.get(path, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and cold.cold_hits is not None and cold.cold_hits.served == 0


def test_a_table_the_connection_lost_is_not_served(shared_hit, container: Container) -> None:
    h, t, path = shared_hit
    with container.db.session() as s:
        conn_id = s.query(Dashboard).filter_by(team_id=t, slug="rev").one().connection_id
        datasets = [d.id for d in s.query(Dataset).filter_by(connection_id=conn_id)]
        s.query(Table).filter(Table.dataset_id.in_(datasets)).delete()
    cold, client = _cold(container)
    r = client.get(path, headers=h)
    assert cold.cold_hits is not None and cold.cold_hits.served == 0
    assert r.status_code == 200 and {v["status"] for v in r.get_json()["views"]} == {"error"}


def test_a_stale_version_a_deleted_dashboard_or_a_new_generation_is_not_served(
    shared_hit, dev_server, container: Container
) -> None:
    h, t, path = shared_hit
    cache = container.store("cache")
    versions = cache.list("versions/")
    saved = {o.path: cache.get(o.path).data for o in versions}
    for o in versions:
        cache.delete(o.path)
    cold, client = _cold(container)
    assert client.get(path, headers=h).status_code == 200
    assert cold.cold_hits is not None and cold.cold_hits.served == 0  # asked the warehouse instead
    for p, data in saved.items():  # the records as they were, and the shared response answers again
        cache.put(p, data, content_type="application/json")
    cold, client = _cold(container)
    assert client.get(path, headers=h).status_code == 200 and cold.cold_hits.served == 1  # type: ignore[union-attr]

    assert put(dev_server, h, t, "rev", GOOD.replace("Revenue", "Revenue 2"), version=1).status_code == 200
    cold, client = _cold(container)
    assert client.get(path, headers=h).status_code == 200
    assert cold.cold_hits is not None and cold.cold_hits.served == 0  # the record is of the old generation

    assert requests.delete(f"{dev_server.url}/v1/teams/{t}/dashboards/rev", headers=h).status_code == 204
    cold, client = _cold(container)
    assert client.get(path, headers=h).status_code == 404


def test_both_directory_adapters_read_alike(shared_hit, container: Container) -> None:
    _h, t, _path = shared_hit
    light, orm = for_url(container.settings.database_url), OrmHitReads(container.db)
    assert light is not None
    pointer = orm.live_pointer("alice@example.com", t, "rev")
    assert pointer is not None and light.live_pointer("alice@example.com", t, "rev") == pointer
    for args in [
        ("mallory@example.com", t, "rev"),
        ("alice@example.com", t, "nope"),
        ("alice@example.com", "tm_x", "rev"),
    ]:
        assert light.live_pointer(*args) is None and orm.live_pointer(*args) is None
    assert (
        light.bound_subject("alice@example.com")
        == orm.bound_subject("alice@example.com")
        == "alice@example.com"
    )
    assert (
        light.bound_subject("nobody@example.com") is None and orm.bound_subject("nobody@example.com") is None
    )
    tables = orm.allowed_tables(pointer.connection_id)
    assert tables and light.allowed_tables(pointer.connection_id) == tables
    assert light.allowed_tables("cn_none") == frozenset()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:////tmp/x.db?mode=ro",
        "postgresql+psycopg://u@h/db",
        "mysql://u@h/db",
    ],
)
def test_other_urls_take_the_sqlalchemy_adapter(url: str) -> None:
    assert for_url(url) is None
