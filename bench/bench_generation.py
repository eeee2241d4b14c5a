"""Generation figures (issue 6): time from a chat message to a saved dashboard, offline planner.

Each request is a whole turn through ``DashboardGenerationService`` (agent_step tasks, the offline
planner, Bridge's tools, the demo DuckDB warehouse), measured from send to the turn's ``done``.

.venv/bin/python -m bench --only generation
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import dev_server, forget, pct, row

REQUESTS = [
    "monthly revenue for the last year",
    "revenue by category as a pie",
    "top 10 products by revenue",
    "number of orders by status",
    "revenue in Germany by month",
    "new users per month",
    "revenue and orders by month",
    "average sale price by category",
    "revenue by month and category",
    "weekly orders for the last 6 months",
]
EDITS = ["make the trend a bar chart", "add a KPI for total orders", "only 2023"]


def run(scale: float = 1.0, rounds: int = 2) -> list[dict[str, Any]]:
    """Rows of {name, value, unit, note}: p50/p95 of new dashboards and of follow-up edits."""
    from doubles.generation import DashboardGenerationService, create_session

    from shared.adapters.identity.port import Principal
    from shared.dev.seed import DEMO_EMAIL

    created: list[float] = []
    edited: list[float] = []
    failures = 0
    with dev_server(scale=scale) as srv:
        user = Principal(DEMO_EMAIL, DEMO_EMAIL)
        service = DashboardGenerationService(srv.c)
        for _ in range(rounds):
            for message in REQUESTS:
                session = create_session(srv.c, user, srv.team_id, srv.connection_id)
                started = time.perf_counter()
                result = service.generate(session, message, user=user)
                created.append((time.perf_counter() - started) * 1000)
                failures += result.dashboard_slug is None
                forget(srv.c, user, srv.team_id, result.dashboard_slug)  # each round builds anew
            session = create_session(srv.c, user, srv.team_id, srv.connection_id)
            first = service.generate(session, "monthly revenue for the last year", user=user)
            for message in EDITS:
                started = time.perf_counter()
                result = service.generate(session, message, user=user)
                edited.append((time.perf_counter() - started) * 1000)
                failures += result.dashboard_slug is None
            forget(srv.c, user, srv.team_id, first.dashboard_slug)
    note = f"{len(created)} turns, demo scale {scale:g}, offline planner"
    return [
        row("generation: message → saved dashboard p50", pct(created, 50), "ms", note),
        row("generation: message → saved dashboard p95", pct(created, 95), "ms", note),
        row("generation: follow-up edit p50", pct(edited, 50), "ms", f"{len(edited)} edits"),
        row("generation: follow-up edit p95", pct(edited, 95), "ms", f"{len(edited)} edits"),
        row("generation: turns without a dashboard", float(failures), "count", "should be 0"),
    ]


if __name__ == "__main__":
    for r in run():
        print(f"{r['name']:<48} {r['value']:10.1f} {r['unit']:<5} {r['note']}")
