"""The demo development set with the starter knowledge file accepted unchanged: nothing drops.

The starter is generated from the demo catalog (POST …/knowledge/starter's generator) and saved as
is; every development request must still build its dashboard, and the vague ones still get their
clarifying question.
"""

from __future__ import annotations

import pytest

from shared.services.knowledge import catalog_tables, save_knowledge
from shared.services.knowledge_starter import starter_yaml

from .planner_checks import Case, check_dashboard
from .planner_env import PlannerEnv
from .test_dev_set_demo import CASES, VAGUE


@pytest.fixture(scope="module")
def starter_env(demo_env: PlannerEnv) -> PlannerEnv:
    from shared.db.models import Connection

    c = demo_env.container
    with c.db.session() as s:
        text = starter_yaml(catalog_tables(s, s.get(Connection, demo_env.connection_id)))
        assert "metrics:" in text and "joins:" in text
        save_knowledge(c, s, demo_env.user, demo_env.team_id, text, if_match=None)
    return demo_env


@pytest.mark.parametrize("case", CASES, ids=str)
def test_dev_request_still_builds_its_dashboard(starter_env: PlannerEnv, case: Case) -> None:
    turn = starter_env.ask_new(case.message)
    assert turn.saved is not None, turn.text
    check_dashboard(starter_env, turn.saved["dashboard_slug"], case)


@pytest.mark.parametrize("message", VAGUE)
def test_vague_request_still_gets_a_clarifying_question(starter_env: PlannerEnv, message: str) -> None:
    turn = starter_env.ask(message)
    assert turn.saved is None and "?" in turn.text
