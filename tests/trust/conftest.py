"""Fixtures of the trust suites: two onboarded teams on the dev server, counted warehouse calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from doubles.scripted_model import ScriptedModel

from shared.bootstrap import Container

from .helpers import TeamIds, WarehouseCalls, onboard


@dataclass
class TwoTeams:
    """Team A (alice admin, carol member) and team B (bob admin), each with its demo connection."""

    server: Any
    container: Container
    a: TeamIds
    b: TeamIds
    member: dict[str, str]  # carol's headers: a plain member of team A


def answer_model(text: str = "All good.") -> ScriptedModel:
    """A scripted model that answers every step with ``text`` (no tool calls)."""
    return ScriptedModel([[text]] * 200, by_history=True)


@pytest.fixture
def two_teams(dev_server: Any, token: Any, container: Container) -> TwoTeams:
    import requests

    a = onboard(dev_server, token, "alice@a.example", "Team A")
    b = onboard(dev_server, token, "bob@b.example", "Team B")
    carol = token("carol@a.example")
    r = requests.post(
        f"{dev_server.url}/v1/teams/{a.team_id}/members",
        json={"email": "carol@a.example", "role": "member"},
        headers=a.headers,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    container.install_model(answer_model())
    return TwoTeams(dev_server, container, a, b, carol)


@pytest.fixture
def calls(container: Container, monkeypatch: pytest.MonkeyPatch) -> WarehouseCalls:
    """Counts every warehouse port call made through the container's connections."""
    return WarehouseCalls().install(container, monkeypatch)
