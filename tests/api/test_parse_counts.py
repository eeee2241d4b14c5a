"""A save parses the YAML once and runs the dashboard schema once; serving reads the compiled artifact.

Counts every YAML document parsed (PyYAML's composer) and every validation against the
dashboard JSON Schema while real HTTP requests run; ``-s`` prints the figures of a chat turn too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import yaml.composer
from jsonschema import Draft202012Validator
from ruamel.yaml import composer as ruamel_composer
from test_dashboards_api import GOOD, put, setup_team

from shared.bootstrap import Container
from shared.dashboards.schema import SCHEMA_ID
from shared.dev.seed import DEMO_EMAIL


@dataclass
class Counts:
    yaml_parses: int = 0
    schema_runs: int = 0

    def take(self) -> tuple[int, int]:
        taken = (self.yaml_parses, self.schema_runs)
        self.yaml_parses = self.schema_runs = 0
        return taken


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counts]:
    found = Counts()
    compose = yaml.composer.Composer.get_single_node
    rt_compose = ruamel_composer.Composer.get_single_node
    iter_errors = Draft202012Validator.iter_errors

    def counted_compose(self: Any) -> Any:
        found.yaml_parses += 1
        return compose(self)

    def counted_rt_compose(self: Any) -> Any:  # the planner's round-trip loads (follow-up edits)
        found.yaml_parses += 1
        return rt_compose(self)

    def counted_iter_errors(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.schema.get("$id") == SCHEMA_ID:
            found.schema_runs += 1
        return iter_errors(self, *args, **kwargs)

    monkeypatch.setattr(yaml.composer.Composer, "get_single_node", counted_compose)
    monkeypatch.setattr(ruamel_composer.Composer, "get_single_node", counted_rt_compose)
    monkeypatch.setattr(Draft202012Validator, "iter_errors", counted_iter_errors)
    yield found


def _cold(container: Container) -> None:
    """Forget this instance's serving state, as a new instance would start."""
    container.__dict__.pop("data_service", None)  # a cached_property: built again on next use


def test_save_and_cold_serve_parse_once(dev_server, token, container: Container, counts: Counts) -> None:
    h, t = setup_team(dev_server, token)
    assert container.task_queue.join(15)
    counts.take()
    assert put(dev_server, h, t, "rev", GOOD).status_code == 201
    saved = counts.take()
    assert container.task_queue.join(15)  # the save's finalize event warms the cache (a cold load)
    warmed = counts.take()
    _cold(container)
    r = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/rev/data", headers=h)
    assert r.status_code == 200 and all(v["status"] == "ok" for v in r.json()["views"])
    served = counts.take()
    r = requests.get(f"{dev_server.url}/v1/teams/{t}/dashboards/rev/data", headers=h)
    assert r.status_code == 200
    warm_served = counts.take()
    print(f"\nper save: {saved}; warm after save: {warmed}; cold serve: {served}; warm serve: {warm_served}")
    assert saved == (1, 1)
    # the warm-up and a cold instance read the compiled artifact the save stored: no parse at all
    # (before the artifact: (1, 1) each)
    assert warmed == (0, 0)
    assert served == (0, 0)
    assert warm_served == (0, 0)


def test_a_dashboard_without_its_artifact_compiles_once_and_stores_it(
    dev_server, token, container: Container, counts: Counts
) -> None:
    from shared.services.dashboards import artifact_path

    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "old", GOOD).status_code == 201
    assert container.task_queue.join(15)
    store = container.store("dashboards")
    head = store.head(f"{t}/old.yaml")
    assert head is not None
    path = artifact_path(t, "old", head.generation)
    assert store.head(path) is not None  # written by the save
    from shared.adapters.objectstore.events import finalize_event
    from shared.services.precompute import handle_finalize

    artifact_event = finalize_event(store.bucket, store.head(path))
    assert handle_finalize(container, artifact_event) == "ignored"  # only a YAML object warms the cache
    store.delete(path)  # as a dashboard saved before artifacts existed
    url = f"{dev_server.url}/v1/teams/{t}/dashboards/old/data"
    counts.take()
    for expected in ((1, 1), (0, 0)):  # the first cold read compiles and stores it; the next reads it
        _cold(container)
        r = requests.get(url, headers=h)
        assert r.status_code == 200 and all(v["status"] == "ok" for v in r.json()["views"])
        assert counts.take() == expected
        assert store.head(path) is not None
    assert container.data_service.loader.compiles == 0  # the last instance had no compile to do


def test_chat_turn_counts(dev_server, container: Container, counts: Counts) -> None:
    h = {"Authorization": f"Bearer {container.local_identity.issue(DEMO_EMAIL)}"}
    team = requests.get(f"{dev_server.url}/v1/teams", headers=h).json()["teams"][0]
    conn = requests.get(f"{dev_server.url}/v1/teams/{team['id']}/connections", headers=h).json()[
        "connections"
    ][0]
    sid = requests.post(
        f"{dev_server.url}/v1/chat/sessions",
        json={"team_id": team["id"], "connection_id": conn["id"]},
        headers=h,
    ).json()["id"]
    assert container.task_queue.join(15)
    counts.take()
    turn = _turn(dev_server, h, sid, "revenue by category")
    counts_create = counts.take()
    assert container.task_queue.join(15)
    warmed = counts.take()
    _turn(dev_server, h, sid, "only the top 3")
    counts_edit = counts.take()
    assert container.task_queue.join(15)
    counts.take()
    print(
        f"\nper chat turn (YAML parses, schema runs): new dashboard {counts_create}, "
        f"follow-up edit {counts_edit}; warm after its save: {warmed}"
    )
    assert "dashboard_saved" in turn
    # dashboard loads: the validate tool's one load, which the save tool and the save service reuse
    # (one parse, one schema run), the planner's round-trip loads (a follow-up's document, its closing
    # reply) and, on an instance's first turn, the prompt blocks' front matter (4); the finalize
    # event's warm serve reads the compiled artifact (none). Before: (10, 4) and (10, 4); before one
    # load per turn: (9, 4); before the compiled artifact: (7, 2).
    assert warmed == (0, 0), warmed
    assert counts_create[0] <= 6 and counts_create[1] <= 1, counts_create
    assert counts_edit[0] <= 6 and counts_edit[1] <= 1, counts_edit


def _turn(dev_server: Any, h: dict[str, str], sid: str, message: str) -> str:
    with requests.post(
        f"{dev_server.url}/v1/chat/sessions/{sid}/messages",
        json={"content": message},
        headers=h,
        stream=True,
        timeout=60,
    ) as r:
        assert r.status_code == 200
        return r.text
