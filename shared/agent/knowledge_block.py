"""The team knowledge a turn's model call carries: the slice relevant to the question.

Read once per step from the team's knowledge file (one pointer row, one object read). The offline
planner reads the slice from ``ModelRequest.knowledge``; prompt-based providers read the same slice
as the ``team_knowledge`` system block, placed after the stable blocks and before the turn's
context, so each team's prefix is cached on its own and the generic prefix stays shared. A
verified answer naming a dashboard brings that dashboard's SQL as the example.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from shared.adapters.identity.port import Principal
from shared.adapters.model.messages import SystemBlock
from shared.errors import BridgeError
from shared.knowledge.model import Knowledge
from shared.ports import Ports

log = logging.getLogger("bridge.agent")
BLOCK_KEY = "team_knowledge"


def turn_knowledge(
    c: Ports, team_id: str, user_id: str, question: str
) -> tuple[Knowledge | None, SystemBlock | None]:
    """(the relevant slice, its system block), or (None, None) when the team has no knowledge file."""
    from shared.knowledge.retrieve import is_empty, prompt_text, relevant
    from shared.services.knowledge import team_knowledge

    try:
        full = c.db.read_or_repair(lambda s: team_knowledge(c, s, team_id))
    except BridgeError as err:  # the agent answers without it rather than failing the turn
        log.warning("team knowledge not read: %s", err.message)
        return None, None
    if full is None:
        return None, None
    part = relevant(full, question)
    if is_empty(part):
        return None, None
    return part, SystemBlock(BLOCK_KEY, prompt_text(part, _answer_sql(c, team_id, user_id, part)))


def _answer_sql(c: Ports, team_id: str, user_id: str, part: Knowledge) -> dict[str, str]:
    from shared.dashboards.validate import validate_dashboard
    from shared.services.dashboards import get_dashboard

    out: dict[str, str] = {}
    who = Principal(user_id, user_id)
    for answer in part.verified_answers:
        if not answer.dashboard or answer.sql:
            continue
        slug = answer.dashboard

        def read(s: Session, slug: str = slug) -> str:
            return get_dashboard(c, s, who, team_id, slug)[1]

        try:
            text = c.db.read_or_repair(read)
        except BridgeError:
            continue
        model = validate_dashboard(text).model
        if model is not None:
            out[slug] = "; ".join(q.sql.strip() for q in model.queries.values())
    return out
