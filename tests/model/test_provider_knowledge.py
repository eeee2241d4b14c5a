"""The team knowledge block through the real openai and anthropic SDKs, against the local wire servers
(``tests/provider_wire.py``: Chat Completions and Messages streams written from the providers' API
references). The same knowledge file as the Gemini recording: the relevant slice (not the whole file)
is in every step's system prompt, byte-stable across steps; Anthropic gets it as its own system block
with its own cache breakpoint after the prefix every team shares, before the turn's context."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from doubles.generation import DashboardGenerationService, create_session
from provider_wire import WireServer, serve

from shared.adapters.identity.port import Principal
from shared.dev.seed import DEMO_EMAIL
from shared.dev.server import prepare
from shared.services.knowledge import save_knowledge
from tests.model.test_gemini_knowledge import EXAMPLE_SQL, KNOWLEDGE
from tests.model.test_provider_agent_e2e import install

PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
QUESTION = "orders by status as a pie"


@pytest.fixture
def wire() -> Iterator[WireServer]:
    yield from serve()


def _turn(container: Any, knowledge: str | None) -> Any:
    team_id, conn_id = prepare(container)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    if knowledge is not None:
        with container.db.session() as s:
            save_knowledge(container, s, user, team_id, knowledge, if_match=None)
    session_id = create_session(container, user, team_id, conn_id)
    return DashboardGenerationService(container, timeout_s=90).generate(session_id, QUESTION, user=user)


def _system_parts(provider: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The system prompt as a list of text blocks (OpenAI: the one system message's content)."""
    if provider == "anthropic":
        return list(body["system"])
    first = body["messages"][0]
    assert first["role"] == "system"
    return [{"type": "text", "text": first["content"]}]


def _check_block(team: str) -> None:
    assert "- order_count (also: orders) = COUNT(orders.order_id) [format: integer]" in team
    assert "Exclude test accounts" in team
    assert "- Q: Orders by status" in team and f"SQL: {EXAMPLE_SQL}" in team
    assert "return_rate" not in team and "distribution center" not in team  # retrieved for the question


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_team_block_reaches_the_provider_and_the_example_is_followed(
    provider: str, container: Any, wire: Any, vertex: Any, gemini: Any
) -> None:
    install(container, provider, wire, vertex, gemini)
    result = _turn(container, KNOWLEDGE)
    assert result.status == "done", result.events

    sent = [r for r in wire.received if r.path == PATHS[provider]]
    assert len(sent) == 4  # schema, dry run, save, answer
    systems = {json.dumps(_system_parts(provider, r.body), sort_keys=True) for r in sent}
    assert len(systems) == 1  # the same system prompt on every step: a cacheable prefix

    parts = _system_parts(provider, sent[0].body)
    if provider == "anthropic":
        teams = [i for i, p in enumerate(parts) if p["text"].startswith("Team knowledge:")]
        assert teams == [len(parts) - 2]  # its own block, after the shared blocks, before the context
        (at,) = teams
        _check_block(parts[at]["text"])
        assert parts[at]["cache_control"] == {"type": "ephemeral"}  # the team's prefix is cached...
        assert parts[at - 1]["cache_control"] == {"type": "ephemeral"}  # ...and so is the shared one
        assert "cache_control" not in parts[-1]  # the turn's context is not
    else:
        text = parts[0]["text"]
        start = text.index("\n\nTeam knowledge:") + 2
        assert 0 < start < len(text) - 1  # after the stable blocks, with the turn's context after it
        block = text[start:].split("\n\n")[0]
        _check_block(block)
        assert text.count("Team knowledge:") == 1

    # the scripted model followed the example: the dry-run is the verified answer's SQL
    dry = next(d for t, d in result.events if t == "tool_call" and d["name"] == "run_dry_run_query")
    assert dry["arguments"]["sql"] == EXAMPLE_SQL
    assert result.dashboard_slug == "orders-by-status"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_team_without_knowledge_sends_no_team_block(
    provider: str, container: Any, wire: Any, vertex: Any, gemini: Any
) -> None:
    install(container, provider, wire, vertex, gemini)
    assert _turn(container, None).status == "done"
    parts = _system_parts(provider, next(r for r in wire.received if r.path == PATHS[provider]).body)
    assert not any("Team knowledge:" in p["text"] for p in parts)
    if provider == "anthropic":  # one breakpoint: the shared prefix, nothing per team
        assert sum("cache_control" in p for p in parts) == 1
