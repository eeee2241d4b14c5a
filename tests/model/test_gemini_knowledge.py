"""A recorded Gemini conversation with a team knowledge file: the team block is in every request,
holds the definitions and the verified answer relevant to the question (not the whole file), and
the recorded model's query follows the verified answer's SQL."""

from __future__ import annotations

import json

from doubles.generation import DashboardGenerationService, create_session

from shared.adapters.identity.port import Principal
from shared.dev.seed import DEMO_EMAIL
from shared.dev.server import prepare
from shared.services.knowledge import save_knowledge

STEPS = [(200, f"conversation/step{n}.sse") for n in range(1, 5)]
EXAMPLE_SQL = "SELECT status, COUNT(*) AS orders FROM `demo.thelook_ecommerce.orders` GROUP BY status ORDER BY orders DESC"
KNOWLEDGE = f"""\
version: 1
metrics:
  - name: order_count
    synonyms: [orders]
    sql: COUNT(orders.order_id)
    format: integer
  - name: return_rate
    sql: COUNTIF(order_items.status = 'Returned') / COUNT(*)
    format: percent
instructions: |
  Exclude test accounts: users.email LIKE '%@example.com'.
verified_answers:
  - question: Orders by status
    sql: {EXAMPLE_SQL}
  - question: Revenue per distribution center
    sql: SELECT 1 AS unrelated_example
"""


def test_the_team_block_carries_the_relevant_knowledge_and_the_verified_answer(
    container, vertex, gemini
) -> None:
    team_id, conn_id = prepare(container)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    with container.db.session() as s:
        save_knowledge(container, s, user, team_id, KNOWLEDGE, if_match=None)
    container.install_model(gemini)
    vertex.queue(*STEPS)
    session_id = create_session(container, user, team_id, conn_id)
    result = DashboardGenerationService(container, timeout_s=60).generate(
        session_id, "orders by status as a pie", user=user
    )
    assert result.status == "done", result.events

    sent = vertex.generate_calls
    assert len(sent) == 4
    systems = {json.dumps(c.body.get("systemInstruction"), sort_keys=True) for c in sent}
    assert len(systems) == 1  # the same prefix on every step: cacheable
    parts = [p["text"] for p in sent[0].body["systemInstruction"]["parts"]]
    (team,) = [p for p in parts if p.startswith("Team knowledge:")]
    assert parts.index(team) == len(parts) - 2  # after the stable blocks, before the turn's context
    assert "- order_count (also: orders) = COUNT(orders.order_id) [format: integer]" in team
    assert "Exclude test accounts" in team
    assert "- Q: Orders by status" in team and f"SQL: {EXAMPLE_SQL}" in team
    assert "return_rate" not in team and "distribution center" not in team  # retrieved, not the whole file

    # the recorded model followed the example: the dry-run and saved query are the verified answer's SQL
    dry = next(d for t, d in result.events if t == "tool_call" and d["name"] == "run_dry_run_query")
    assert dry["arguments"]["sql"] == EXAMPLE_SQL
    saved = container.store("dashboards").get(f"{team_id}/orders-by-status.yaml").data.decode()
    assert "COUNT(*) AS orders" in saved


def test_without_a_knowledge_file_there_is_no_team_block(container, vertex, gemini) -> None:
    team_id, conn_id = prepare(container)
    container.install_model(gemini)
    vertex.queue(*STEPS)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    session_id = create_session(container, user, team_id, conn_id)
    DashboardGenerationService(container, timeout_s=60).generate(
        session_id, "orders by status as a pie", user=user
    )
    parts = [p["text"] for p in vertex.generate_calls[0].body["systemInstruction"]["parts"]]
    assert not any(p.startswith("Team knowledge:") for p in parts)


def test_a_verified_answer_naming_a_dashboard_brings_its_sql(container) -> None:
    from shared.agent.knowledge_block import turn_knowledge
    from shared.services.dashboards import save_dashboard

    team_id, _ = prepare(container)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    board = (
        "version: 1\ntitle: Orders by status\nqueries:\n  by_status:\n    sql: |\n      " + EXAMPLE_SQL + "\n"
        "views:\n  - id: t\n    type: bar\n    query: by_status\n    x: {field: status, type: nominal}\n"
        "    y: {field: orders, type: quantitative}\n    layout: {x: 0, y: 0, w: 12, h: 4}\n"
    )
    text = "version: 1\nverified_answers:\n  - question: Orders by status\n    dashboard: orders-by-status\n"
    with container.db.session() as s:
        save_dashboard(container, s, user, team_id, "orders-by-status", board, if_match=None)
        save_knowledge(container, s, user, team_id, text, if_match=None)
    part, block = turn_knowledge(container, team_id, user.user_id, "how many orders per status?")
    assert part is not None and block is not None and block.key == "team_knowledge"
    assert "  dashboard: orders-by-status" in block.text and f"SQL: {EXAMPLE_SQL}" in block.text
    assert turn_knowledge(container, team_id, user.user_id, "weather in Paris") == (
        None,
        None,
    )  # nothing relevant


def test_each_version_is_read_and_parsed_once_per_instance(container, monkeypatch) -> None:
    from shared.services.knowledge import team_knowledge

    team_id, _ = prepare(container)
    user = Principal(DEMO_EMAIL, DEMO_EMAIL)
    with container.db.session() as s:
        save_knowledge(container, s, user, team_id, KNOWLEDGE, if_match=None)
    store = container.store("dashboards")
    reads: list[str] = []
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda path, **kw: (reads.append(path), real_get(path, **kw))[1])
    with container.db.session() as s:
        first, second = team_knowledge(container, s, team_id), team_knowledge(container, s, team_id)
    assert first is not None and first is second and len(reads) == 1
    with container.db.session() as s:
        save_knowledge(
            container, s, user, team_id, KNOWLEDGE.replace("[orders]", "[orders, purchases]"), if_match=1
        )
        newer = team_knowledge(container, s, team_id)
    assert newer is not None and newer.metrics[0].synonyms == ["orders", "purchases"] and len(reads) == 2
