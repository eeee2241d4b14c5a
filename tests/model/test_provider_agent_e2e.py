"""Every provider drives the real agent loop: one scripted conversation per wire format, over HTTP.

The OpenAI and Anthropic servers speak their providers' streaming formats (``tests/provider_wire.py``,
written from the API references); the Gemini path replays the recorded Vertex conversation. The same
chat over the same HTTP API must give the same events and the same saved dashboard on all three.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from doubles.generation import DashboardGenerationService, create_session
from provider_wire import Received, Reply, WireServer, anthropic_stream, openai_stream, serve

from shared.adapters.identity.port import Principal
from shared.adapters.model.anthropic import AnthropicModel
from shared.adapters.model.openai_compat import OpenAICompatModel
from shared.agent.limits import TurnLimits
from shared.dev.seed import DEMO_EMAIL
from shared.dev.server import prepare

VERTEX_STEPS = Path(__file__).resolve().parents[1] / "fixtures" / "vertex" / "conversation"
SQL = "SELECT status, COUNT(*) AS orders FROM `demo.thelook_ecommerce.orders` GROUP BY status ORDER BY orders DESC"


def _recorded_vertex_script() -> list[tuple[list[str], list[tuple[str, str, str]]]]:
    """The Gemini conversation's steps as (text pieces, calls): the one script every provider plays."""
    steps = []
    for n in range(1, 5):
        text, calls = [], []
        for line in (VERTEX_STEPS / f"step{n}.sse").read_text().splitlines():
            if not line.startswith("data: "):
                continue
            for part in json.loads(line[6:])["candidates"][0]["content"]["parts"]:
                if "text" in part:
                    text.append(part["text"])
                if "functionCall" in part:
                    fc = part["functionCall"]
                    calls.append((f"call_{n}", fc["name"], json.dumps(fc["args"])))
        steps.append((text, calls))
    return steps


SCRIPT = _recorded_vertex_script()


def _assistant_turns(got: Received, role: str) -> int:
    return sum(m.get("role") == role for m in got.body.get("messages") or got.body.get("contents") or [])


def openai_responder(script: list[Any]) -> Callable[[Received], Reply]:
    def respond(got: Received) -> Reply:
        text, calls = script[min(_assistant_turns(got, "assistant"), len(script) - 1)]
        return openai_stream(text, calls)

    return respond


def anthropic_responder(script: list[Any]) -> Callable[[Received], Reply]:
    def respond(got: Received) -> Reply:
        text, calls = script[min(_assistant_turns(got, "assistant"), len(script) - 1)]
        return anthropic_stream(text, [(i.replace("call_", "toolu_0"), n, a) for i, n, a in calls])

    return respond


@pytest.fixture
def wire() -> Iterator[WireServer]:
    yield from serve()


def install(container: Any, provider: str, wire: WireServer, vertex: Any, gemini: Any, script=SCRIPT) -> None:
    if provider == "openai":
        wire.responder = openai_responder(script)
        model: Any = OpenAICompatModel("qwen2.5", base_url=f"{wire.url}/v1", max_retries=1)
    elif provider == "anthropic":
        wire.responder = anthropic_responder(script)
        model = AnthropicModel("claude-sonnet-5-5", api_key="sk-ant-test", base_url=wire.url, max_retries=1)
    else:
        vertex.queue(*[(200, f"conversation/step{n}.sse") for n in range(1, 5)])
        model = gemini
    container.install_model(model)


def _sse(resp: requests.Response) -> list[dict[str, Any]]:
    out, cur = [], {}
    for raw in resp.iter_lines(decode_unicode=True):
        if raw == "":
            if "event" in cur:
                out.append(cur)
            cur = {}
        elif not raw.startswith(":"):
            key, _, value = raw.partition(": ")
            cur[key] = json.loads(value) if key == "data" else value
    return out


def chat_over_http(
    server_url: str, token: str, team_id: str, conn_id: str, text: str
) -> list[dict[str, Any]]:
    h = {"Authorization": f"Bearer {token}"}
    sid = requests.post(
        f"{server_url}/v1/chat/sessions",
        json={"team_id": team_id, "connection_id": conn_id},
        headers=h,
        timeout=30,
    ).json()["id"]
    with requests.post(
        f"{server_url}/v1/chat/sessions/{sid}/messages",
        json={"content": text},
        headers=h,
        stream=True,
        timeout=60,
    ) as resp:
        assert resp.status_code == 200
        return [e for e in _sse(resp) if "id" in e]  # the committed record (live tokens carry no id)


def signature(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a client sees, minus provider-specific ids and token chunking."""
    out: list[tuple[Any, ...]] = []
    for e in events:
        kind, data = e["event"], e["data"]
        if kind == "token":
            if not out or out[-1][0] != "text":
                out.append(("text",))
        elif kind in ("tool_call", "tool_result"):
            out.append((kind, data["name"], data.get("ok", True)))
        elif kind == "done":
            out.append((kind, data["status"], data["dashboard_slug"], data["message"]))
        else:
            out.append((kind,))
    return out


def test_every_provider_builds_the_same_dashboard_over_http(
    dev_server, container, wire, vertex, gemini
) -> None:
    team_id, conn_id = prepare(container)
    token = container.local_identity.issue(DEMO_EMAIL)
    seen: dict[str, list[tuple[Any, ...]]] = {}
    for provider in ("gemini", "openai", "anthropic"):
        install(container, provider, wire, vertex, gemini)
        events = chat_over_http(dev_server.url, token, team_id, conn_id, "orders by status as a pie")
        seen[provider] = signature(events)
        saved = container.store("dashboards").get(f"{team_id}/orders-by-status.yaml").data.decode()
        assert "theme: monotone" in saved and SQL in saved
    assert seen["openai"] == seen["gemini"] == seen["anthropic"], seen
    assert [s[1] for s in seen["gemini"] if s[0] == "tool_call"] == [
        "get_table_schema",
        "run_dry_run_query",
        "save_dashboard_yaml",
    ]
    assert seen["gemini"][-1][:3] == ("done", "done", "orders-by-status")

    # the wire formats carried the agent's results back: the last request holds all three tool outputs
    openai_last = next(r for r in reversed(wire.received) if r.path == "/v1/chat/completions").body
    assert [m["role"] for m in openai_last["messages"]].count("tool") == 3
    anthropic_last = next(r for r in reversed(wire.received) if r.path == "/v1/messages").body
    results = [b for m in anthropic_last["messages"] for b in m["content"] if b["type"] == "tool_result"]
    assert len(results) == 3 and not any(b["is_error"] for b in results)
    # a stable prefix: every step of one provider sent the same system prompt and tools
    for path, key in (("/v1/chat/completions", "tools"), ("/v1/messages", "system")):
        sent = {json.dumps(r.body[key], sort_keys=True) for r in wire.received if r.path == path}
        assert len(sent) == 1


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_malformed_tool_arguments_are_answered_and_the_model_recovers(
    provider, container, wire, vertex, gemini
) -> None:
    broken = ([], [("call_0", "get_table_schema", '{"table": "demo.thelook_ecommerce.orders"')])
    install(container, provider, wire, vertex, gemini, script=[broken, *SCRIPT])
    result = _generate(container, "orders by status as a pie")

    first = next(d for t, d in result.events if t == "tool_result")
    assert first["ok"] is False and first["error"]["code"] == "validation_failed"
    assert result.status == "done" and result.dashboard_slug == "orders-by-status"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_model_that_never_calls_a_tool_ends_the_turn_with_its_answer(
    provider, container, wire, vertex, gemini
) -> None:
    install(container, provider, wire, vertex, gemini, script=[(["I can't see ", "your data."], [])])
    result = _generate(container, "orders by status")

    assert result.status == "done" and result.dashboard_slug is None
    assert result.message == "I can't see your data."
    assert not [t for t, _ in result.events if t == "tool_call"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_model_that_loops_stops_at_the_step_limit(provider, container, wire, vertex, gemini) -> None:
    loop = ([], [("call_9", "get_table_schema", '{"table": "demo.thelook_ecommerce.orders"}')])
    install(container, provider, wire, vertex, gemini, script=[loop])
    result = _generate(container, "orders")

    assert result.status == "failed" and result.dashboard_slug is None
    errors = [d for t, d in result.events if t == "error"]
    assert errors and errors[-1]["code"] == "limit_exceeded"
    calls = [t for t, _ in result.events if t == "tool_call"]
    # each allowed step called the model once and ran its call; the step past the limit calls nothing
    assert len(calls) == len(wire.received) == TurnLimits().max_steps


def _generate(container: Any, text: str) -> Any:
    team_id, conn_id = prepare(container)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    session_id = create_session(container, user, team_id, conn_id)
    return DashboardGenerationService(container, timeout_s=90).generate(session_id, text, user=user)
