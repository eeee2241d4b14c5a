"""Issue 20's chat goals, each measured in pairs within one run (offline planner, real task queue).

* turn 20 vs turn 1 of one session (both ask the same thing; 18 follow-ups in between);
* 4 concurrent sessions' first turns vs one session's, alternated round by round;
* a turn on a 2,000-table catalog vs a 20-table one: the same server, turns alternated between a
  session on the demo connection (20 tables) and one on a second connection whose catalog has
  2,000 (the synthetic tables of ``bench.bench_catalog``);
* with no goal: the 4-session pair again with every model call held ``BENCH_MODEL_DELAY_MS``
  (default 500) before the offline planner answers, a stand-in for a hosted model's latency. The
  offline turn is all CPU under one GIL, so the goal row measures the interpreter; this row shows
  whether the task queue runs sessions side by side when a turn mostly waits, as it does on Gemini.

Min / median of ``ROUNDS`` (>= 3) rounds.  .venv/bin/python -m bench --only goals_chat
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from bench.common import dev_server, forget_all, goal_row
from shared.adapters.model.port import StreamingChatModel

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
MODEL_DELAY_S = int(os.environ.get("BENCH_MODEL_DELAY_MS", "500")) / 1000
FIRST = "monthly revenue for the last year"
FOLLOW_UPS = ["make the trend a bar chart", "add a KPI for total orders", "only 2023"]
ASKS = ["monthly revenue for the last year", "number of orders by status", "revenue by category as a pie"]


class DelayedModel(StreamingChatModel):
    """Not a real provider: the offline planner, each call held ``delay_s`` first (a hosted model's wait)."""

    def __init__(self, inner: Any, delay_s: float) -> None:
        self.inner, self.name, self.delay_s = inner, inner.name, delay_s

    def stream(self, request: Any) -> Iterator[Any]:
        time.sleep(self.delay_s)
        return self.inner.stream(request)


def _columns(row: Any) -> dict[str, Any]:
    """A mapped row's column attributes by name (to copy it)."""
    from sqlalchemy import inspect

    return {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs}


def _second_connection(c: Any, connection_id: str) -> str:
    """A copy of the demo connection (same warehouse) whose catalog is grown to 2,000 tables."""
    from sqlalchemy import select

    from bench.bench_catalog import add_tables
    from shared.db.models import Connection, Dataset, Table, new_id

    with c.db.session() as s:
        conn = s.get(Connection, connection_id)
        assert conn is not None
        cols = _columns(conn)
        copy_id = new_id("cn")
        cols.update(id=copy_id, name=f"{cols.get('name') or 'demo'} (2,000 tables)")
        s.add(Connection(**cols))
        s.flush()
        for ds in s.scalars(select(Dataset).where(Dataset.connection_id == connection_id)).all():
            ds_cols = _columns(ds)
            new_ds = new_id("ds")
            s.add(Dataset(**{**ds_cols, "id": new_ds, "connection_id": copy_id}))
            s.flush()
            for tb in s.scalars(select(Table).where(Table.dataset_id == ds.id)).all():
                tb_cols = _columns(tb)
                s.add(Table(**{**tb_cols, "id": new_id("tb"), "dataset_id": new_ds}))
    add_tables(c, connection_id, 20)
    add_tables(c, copy_id, 2_000)
    return copy_id


def run() -> list[dict[str, Any]]:
    from doubles.generation import DashboardGenerationService, create_session

    from shared.adapters.identity.port import Principal
    from shared.dev.seed import DEMO_EMAIL

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rows: list[dict[str, Any]] = []
    with dev_server(scale=1.0) as srv:
        user = Principal(DEMO_EMAIL, DEMO_EMAIL)
        service = DashboardGenerationService(srv.c)

        def turn(session: str, message: str) -> float:
            t0 = time.perf_counter()
            service.generate(session, message, user=user)
            return (time.perf_counter() - t0) * 1000

        def new(connection: str | None = None) -> str:
            return create_session(srv.c, user, srv.team_id, connection or srv.connection_id)

        def fresh() -> None:  # every measured new-dashboard turn builds one (no 'you already have' offer)
            forget_all(srv.c, user, srv.team_id)

        turn(new(), FIRST)  # warm: search index, warehouse connection

        # turn 20 vs turn 1 of one session
        ratios, firsts, lasts = [], [], []
        for _ in range(ROUNDS):
            fresh()
            session = new()
            first = turn(session, FIRST)
            for i in range(18):
                turn(session, FOLLOW_UPS[i % len(FOLLOW_UPS)])
            last = turn(session, FIRST)
            ratios.append(last / first), firsts.append(first), lasts.append(last)
        rows.append(
            goal_row(
                "chat turn 20 / turn 1 (one session)",
                ratios,
                1.2,
                f"turn 1 {min(firsts):.0f} ms, turn 20 {min(lasts):.0f} ms (min)",
            )
        )

        def four_vs_one() -> tuple[list[float], list[float]]:
            ratios, ones = [], []
            for r in range(ROUNDS):
                message = ASKS[r % len(ASKS)]
                fresh()
                one = turn(new(), message)
                fresh()
                sessions = [new() for _ in range(4)]
                t0 = time.perf_counter()
                turns = [(s, service.start(s, message, user=user)) for s in sessions]
                for s, t in turns:
                    service.wait(s, t)
                four = (time.perf_counter() - t0) * 1000
                ratios.append(four / one), ones.append(one)
            return ratios, ones

        ratios, ones = four_vs_one()
        rows.append(
            goal_row("4 concurrent sessions / one session", ratios, 2.0, f"one turn {min(ones):.0f} ms (min)")
        )

        # 2,000-table catalog vs 20 tables, same server, alternated
        wide = _second_connection(srv.c, srv.connection_id)
        turn(new(wide), FIRST)  # builds the wide connection's search index once
        ratios, narrow_ms, wide_ms = [], [], []
        for r in range(ROUNDS):
            message = ASKS[r % len(ASKS)]
            fresh()
            n = turn(new(), message)
            fresh()
            w = turn(new(wide), message)
            ratios.append(w / n), narrow_ms.append(n), wide_ms.append(w)
        rows.append(
            goal_row(
                "chat turn, 2,000 tables / 20 tables",
                ratios,
                1.5,
                f"20: {min(narrow_ms):.0f} ms, 2,000: {min(wide_ms):.0f} ms (min)",
            )
        )

        from shared.adapters.model.offline.model import OfflinePlanner

        srv.c.install_model(DelayedModel(OfflinePlanner(), MODEL_DELAY_S))
        ratios, ones = four_vs_one()
        rows.append(
            goal_row(
                f"4 sessions / one, each model call +{MODEL_DELAY_S * 1000:.0f} ms (latency stand-in)",
                ratios,
                None,
                f"one turn {min(ones):.0f} ms (min); the goal row above is the offline, all-CPU turn",
            )
        )
    return rows
