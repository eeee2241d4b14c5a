"""Issue 20's chat goals, each measured in pairs within one run (offline planner, real task queue).

* turn 20 vs turn 1 of one session (both ask the same thing; 18 follow-ups in between);
* 4 concurrent sessions' first turns vs one session's, alternated round by round, on a server whose
  steps run in ``BENCH_TASK_PROCESSES`` task processes (default ``make dev``'s, 2 per CPU, 2 to 4:
  the goal row) and, as its baseline in the same run, on worker threads in one process;
* a turn on a 2,000-table catalog vs a 20-table one: the same server, turns alternated between a
  session on the demo connection (20 tables) and one on a second connection whose catalog has
  2,000 (the synthetic tables of ``bench.bench_catalog``);
* with no goal: the 4-session pair again with every model call held ``BENCH_MODEL_DELAY_MS``
  (default 500) before the offline planner answers, a stand-in for a hosted model's latency, on
  worker threads (the model wrapper lives in the server's process): whether the queue runs
  sessions side by side when a turn mostly waits, as it does on Gemini.

Before each timed part the queue is idle (the previous part's save warm-ups have run).

Min / median of ``ROUNDS`` (>= 3) rounds.  .venv/bin/python -m bench --only goals_chat
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import dev_server, forget_all, goal_row
from shared.adapters.model.port import StreamingChatModel
from shared.adapters.tasks.processes import default_task_processes
from shared.bootstrap import set_container

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
MODEL_DELAY_S = int(os.environ.get("BENCH_MODEL_DELAY_MS", "500")) / 1000
TASK_PROCESSES = int(os.environ.get("BENCH_TASK_PROCESSES", "0")) or default_task_processes()
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


class _Turns:
    """Timed chat turns on one dev server (its own task queue)."""

    def __init__(self, srv: Any) -> None:
        from doubles.generation import DashboardGenerationService

        from shared.adapters.identity.port import Principal
        from shared.dev.seed import DEMO_EMAIL

        self.srv, self.user = srv, Principal(DEMO_EMAIL, DEMO_EMAIL)
        self.service = DashboardGenerationService(srv.c)

    def turn(self, session: str, message: str) -> float:
        t0 = time.perf_counter()
        self.service.generate(session, message, user=self.user)
        return (time.perf_counter() - t0) * 1000

    def new(self, connection: str | None = None) -> str:
        from doubles.generation import create_session

        return create_session(self.srv.c, self.user, self.srv.team_id, connection or self.srv.connection_id)

    def fresh(self) -> None:
        """No live dashboard (every measured turn builds one, no 'you already have' offer), queue idle."""
        forget_all(self.srv.c, self.user, self.srv.team_id)
        self.srv.c.task_queue.join(120)

    def four(self, message: str) -> tuple[float, float]:
        """4 sessions' turns started together: their time and the CPU they took (this process and
        the task processes), in ms."""
        sessions = [self.new() for _ in range(4)]
        c0, t0 = self.cpu_ms(), time.perf_counter()
        turns = [(s, self.service.start(s, message, user=self.user)) for s in sessions]
        for s, t in turns:
            self.service.wait(s, t)
        return (time.perf_counter() - t0) * 1000, self.cpu_ms() - c0

    def cpu_ms(self) -> float:
        """CPU time so far of this process and the server's task processes (from /proc), in ms."""
        processes = getattr(self.srv.c.task_queue, "processes", None)
        children = processes.pids if processes is not None else []
        return time.process_time() * 1000 + sum(_process_cpu_ms(pid) for pid in children)

    def warm(self) -> None:
        """Every worker has answered a turn (a task process builds its search index on its first)."""
        self.turn(self.new(), FIRST)
        for _ in range(2):
            self.fresh()
            self.four(FIRST)


def _process_cpu_ms(pid: int) -> float:
    """User + system CPU of process ``pid`` so far, in ms (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _one_round(on: _Turns, message: str) -> tuple[float, float, float]:
    """One session's turn, then 4 sessions' turns started together (ms), and the CPU the four took."""
    on.fresh()
    one = on.turn(on.new(), message)
    on.fresh()
    four, cpu = on.four(message)
    return one, four, cpu


def _busy(rounds: list[tuple[float, float, float]], cpus: int) -> str:
    """The median share of the machine's CPU time the four sessions used while they ran."""
    return f"{statistics.median(cpu / cpus / four for _one, four, cpu in rounds):.0%}"


def four_vs_one(on: _Turns) -> tuple[list[float], list[float]]:
    ratios, ones = [], []
    for r in range(ROUNDS):
        one, four, _cpu = _one_round(on, ASKS[r % len(ASKS)])
        ratios.append(four / one)
        ones.append(one)
    return ratios, ones


def run() -> list[dict[str, Any]]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rows: list[dict[str, Any]] = []
    with dev_server(scale=1.0) as srv:
        on = _Turns(srv)
        turn, new, fresh = on.turn, on.new, on.fresh

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
            ratios.append(last / first)
            firsts.append(first)
            lasts.append(last)
        rows.append(
            goal_row(
                "chat turn 20 / turn 1 (one session)",
                ratios,
                1.2,
                f"turn 1 {min(firsts):.0f} ms, turn 20 {min(lasts):.0f} ms (min)",
            )
        )

        # the task processes' server lives only for its rows: its children's imports and idle
        # workers stay out of the other figures
        with dev_server(scale=1.0, task_processes=TASK_PROCESSES) as spawned:
            on_processes = _Turns(spawned)
            on.warm()
            on_processes.warm()
            # (one, four, the four's CPU) ms
            rounds: dict[str, list[tuple[float, float, float]]] = {"threads": [], "processes": []}
            for r in range(ROUNDS):  # alternated: a round on threads, then the same round on processes
                for mode, target in (("threads", on), ("processes", on_processes)):
                    rounds[mode].append(_one_round(target, ASKS[r % len(ASKS)]))

            def times(mode: str) -> str:
                ones, fours, _cpu = zip(*rounds[mode], strict=True)
                return (
                    f"one {statistics.median(ones):.0f} ms, four {statistics.median(fours):.0f} ms (medians)"
                )

            rows.append(
                goal_row(
                    f"4 concurrent sessions / one session ({TASK_PROCESSES} task processes)",
                    [four / one for one, four, _cpu in rounds["processes"]],
                    2.0,
                    f"{times('processes')}; make dev's default",
                )
            )
            rows.append(
                goal_row(
                    "4 concurrent sessions / one session (worker threads: the baseline)",
                    [four / one for one, four, _cpu in rounds["threads"]],
                    None,
                    f"{times('threads')}; the offline turn is CPU under one GIL",
                )
            )
            cpus = os.cpu_count() or 1
            rows.append(
                goal_row(
                    f"the goal row's floor here: the four's CPU / {cpus} CPUs / one's time",
                    [cpu / cpus / one for one, _four, cpu in rounds["processes"]],
                    None,
                    "the four cannot finish sooner than their CPU time spread over every CPU; "
                    f"they used {_busy(rounds['processes'], cpus)} of the CPUs while they ran",
                )
            )
            pairs = list(zip(rounds["processes"], rounds["threads"], strict=True))
            rows.append(
                goal_row(
                    "4 sessions' time, task processes / threads",
                    [p[1] / t[1] for p, t in pairs],
                    None,
                    "the same round on each server",
                )
            )
            rows.append(
                goal_row(
                    "one session's turn, task processes / threads",
                    [p[0] / t[0] for p, t in pairs],
                    None,
                    "the cost of a step's hop to a process (and to another one's caches)",
                )
            )

        set_container(srv.c)  # the inner server's exit cleared the process container
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
            ratios.append(w / n)
            narrow_ms.append(n)
            wide_ms.append(w)
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
        ratios, ones = four_vs_one(on)
        rows.append(
            goal_row(
                f"4 sessions / one, each model call +{MODEL_DELAY_S * 1000:.0f} ms (latency stand-in)",
                ratios,
                None,
                f"one turn {min(ones):.0f} ms (min); the goal row above is the offline, all-CPU turn",
            )
        )
    return rows
