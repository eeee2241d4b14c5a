"""Feedback over real HTTP: thumbs on a chat turn and a dashboard, listing, and what accepting writes."""

from __future__ import annotations

import requests
import yaml

from tests.api.test_dashboards_api import GOOD, put, setup_team
from tests.api.test_knowledge_api import put as put_knowledge

# an admin's hand-written file: comments, an unusual key order and quoting that accepting keeps
COMMENTED = """\
# yaml-language-server: $schema=https://bridge.dev/schemas/knowledge.schema.json
# Owned by the data team: ask in #data before changing a metric.
version: 1
instructions: |  # read by the agent on every question
  Fiscal year starts in April.
metrics:
    - name: return_rate   # returns over all items
      sql: "COUNTIF(order_items.status = 'Returned') / COUNT(*)"
      format: percent
"""


def _chat_turn(server, h, team_id) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """One finished chat turn that saved a dashboard: (turn id, dashboard slug)."""
    conns = requests.get(f"{server.url}/v1/teams/{team_id}/connections", headers=h).json()["connections"]
    session = requests.post(
        f"{server.url}/v1/chat/sessions",
        json={"team_id": team_id, "connection_id": conns[0]["id"]},
        headers=h,
    ).json()
    sent = requests.post(
        f"{server.url}/v1/chat/sessions/{session['id']}/messages",
        json={"content": "revenue by category"},
        headers=h,
    )
    assert sent.status_code == 200 and "dashboard_saved" in sent.text, sent.text[-500:]
    detail = requests.get(f"{server.url}/v1/chat/sessions/{session['id']}", headers=h).json()
    answer = detail["messages"][-1]
    assert answer["role"] == "assistant"
    return answer["turn_id"], detail["dashboard_slug"]


def _give(server, h, team_id, **body):  # type: ignore[no-untyped-def]
    return requests.post(f"{server.url}/v1/teams/{team_id}/feedback", json=body, headers=h)


def test_thumbs_up_on_a_turn_offers_a_verified_answer_and_accepting_writes_it(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    turn_id, slug = _chat_turn(dev_server, h, t)
    r = _give(dev_server, h, t, target_type="turn", target_id=turn_id, rating="up", comment="exactly right")
    assert r.status_code == 201, r.text
    fb = r.json()
    assert fb["question"] == "revenue by category" and fb["dashboard_slug"] == slug
    assert fb["offer"] == {"kind": "verified_answer", "question": "revenue by category", "dashboard": slug}
    again = _give(
        dev_server, h, t, target_type="turn", target_id=turn_id, rating="up", comment="exactly right"
    )
    assert (
        again.status_code == 200 and again.json()["id"] == fb["id"]
    )  # idempotent: one row per user and target

    accepted = requests.post(f"{dev_server.url}/v1/teams/{t}/feedback/{fb['id']}/accept", headers=h)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["accepted_version"] == 1
    knowledge = requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge", headers=h).json()
    assert yaml.safe_load(knowledge["yaml"])["verified_answers"] == [
        {"question": "revenue by category", "dashboard": slug}
    ]
    twice = requests.post(f"{dev_server.url}/v1/teams/{t}/feedback/{fb['id']}/accept", headers=h)
    assert twice.status_code == 200
    assert requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge", headers=h).json()["version"] == 1


def test_thumbs_down_with_a_correction_proposes_an_instruction(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    assert put(dev_server, h, t, "revenue", GOOD).status_code == 201
    added = requests.post(
        f"{dev_server.url}/v1/teams/{t}/members",
        json={"email": "bob@example.com", "role": "member"},
        headers=h,
    )
    assert added.status_code == 201
    bob = token("bob@example.com")
    r = _give(dev_server, bob, t, target_type="dashboard", target_id="revenue", rating="down",
              correction="revenue should exclude returns")  # fmt: skip
    assert r.status_code == 201, r.text
    fb = r.json()
    assert fb["offer"]["kind"] == "instruction" and fb["offer"]["text"].startswith(
        "revenue should exclude returns"
    )
    # a member gives and lists feedback, only an admin accepts it
    listed = requests.get(f"{dev_server.url}/v1/teams/{t}/feedback", headers=bob).json()
    assert [f["id"] for f in listed["feedback"]] == [fb["id"]] and listed["next_cursor"] is None
    assert (
        requests.post(f"{dev_server.url}/v1/teams/{t}/feedback/{fb['id']}/accept", headers=bob).status_code
        == 403
    )
    assert put_knowledge(dev_server, h, t, COMMENTED).status_code == 201
    ok = requests.post(f"{dev_server.url}/v1/teams/{t}/feedback/{fb['id']}/accept", headers=h)
    assert ok.status_code == 200, ok.text
    assert ok.json()["accepted_version"] == 2
    text = requests.get(f"{dev_server.url}/v1/teams/{t}/knowledge", headers=h).json()["yaml"]
    assert "revenue should exclude returns" in yaml.safe_load(text)["instructions"]
    # a round-trip edit: only the instructions block grew; comments, order and quotes are as written
    added = "  revenue should exclude returns (about: Revenue overview)\n"
    at = COMMENTED.index("metrics:")
    assert text == COMMENTED[:at] + added + COMMENTED[at:]

    # a thumbs-down without a correction has nothing to accept
    plain = _give(dev_server, h, t, target_type="dashboard", target_id="revenue", rating="down").json()
    assert plain["offer"] is None
    r = requests.post(f"{dev_server.url}/v1/teams/{t}/feedback/{plain['id']}/accept", headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"


def test_bad_feedback_is_a_4xx_and_unknown_targets_are_404(dev_server, token) -> None:
    h, t = setup_team(dev_server, token)
    assert _give(dev_server, h, t, target_type="turn", target_id="tu_nope", rating="up").status_code == 404
    assert _give(dev_server, h, t, target_type="dashboard", target_id="nope", rating="up").status_code == 404
    bad = _give(dev_server, h, t, target_type="dashboard", target_id="x", rating="meh")
    assert bad.status_code == 400 and bad.json()["error"]["code"] in ("bad_request", "validation_failed")
