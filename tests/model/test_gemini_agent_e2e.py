"""The Gemini path end to end: a recorded Vertex conversation replayed through google-genai drives the
real agent loop, tools and rules, and ends with a saved dashboard (same code as the offline planner)."""

from __future__ import annotations

import json

from doubles.generation import DashboardGenerationService, create_session

from shared.adapters.identity.port import Principal
from shared.dev.seed import DEMO_EMAIL
from shared.dev.server import prepare

STEPS = [(200, f"conversation/step{n}.sse") for n in range(1, 5)]


def test_recorded_gemini_conversation_builds_and_saves_a_dashboard(container, vertex, gemini) -> None:
    team_id, conn_id = prepare(container)
    container.install_model(gemini)
    vertex.queue(*STEPS)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    session_id = create_session(container, user, team_id, conn_id)
    result = DashboardGenerationService(container, timeout_s=60).generate(
        session_id, "orders by status as a pie", user=user
    )
    assert result.status == "done", result.events
    assert result.dashboard_slug == "orders-by-status"
    assert result.message.startswith("I built Orders by status")
    calls = [d["name"] for t, d in result.events if t == "tool_call"]
    assert calls == ["get_table_schema", "run_dry_run_query", "save_dashboard_yaml"]
    assert all(d["ok"] for t, d in result.events if t == "tool_result")
    saved = container.store("dashboards").get(f"{team_id}/orders-by-status.yaml").data.decode()
    assert "theme: monotone" in saved  # the default theme is applied by code, not by the model

    # each step re-sent the same system prefix and tools (cache-friendly) and the tool results
    sent = vertex.generate_calls
    assert len(sent) == 4
    systems = {json.dumps(c.body.get("systemInstruction"), sort_keys=True) for c in sent}
    tools = {json.dumps(c.body.get("tools"), sort_keys=True) for c in sent}
    assert len(systems) == 1 and len(tools) == 1
    names = {d["name"] for t in json.loads(tools.pop()) for d in t["functionDeclarations"]}
    assert {"run_dry_run_query", "save_dashboard_yaml", "get_table_schema"} <= names
    last = sent[-1].body["contents"]
    responses = [p["functionResponse"] for c in last for p in c.get("parts", []) if "functionResponse" in p]
    assert [r["name"] for r in responses] == ["get_table_schema", "run_dry_run_query", "save_dashboard_yaml"]
    assert "thoughtSignature" in json.dumps(last)  # provider state sent back verbatim


def test_gemini_cannot_save_sql_it_did_not_dry_run(container, vertex, gemini) -> None:
    """The recorded model skips the dry run: the save tool refuses, by code, and nothing is stored."""
    team_id, conn_id = prepare(container)
    container.install_model(gemini)
    vertex.queue((200, "conversation/step3.sse"), (200, "conversation/step4.sse"))
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    session_id = create_session(container, user, team_id, conn_id)
    result = DashboardGenerationService(container, timeout_s=60).generate(session_id, "orders", user=user)
    save = next(d for t, d in result.events if t == "tool_result" and d["name"] == "save_dashboard_yaml")
    assert save["ok"] is False and "run_dry_run_query" in save["error"]["message"]
    assert container.store("dashboards").head(f"{team_id}/orders-by-status.yaml") is None
    assert result.dashboard_slug is None
