"""Profile chat turns as ``bench/bench_goals_chat.py`` runs them: the dev stack, the offline planner.

Every task worker's steps and the caller's own work are profiled (cProfile, one profile per thread,
merged). One warm turn first, then ``TURNS`` new-dashboard turns on fresh sessions:

    python scripts/profile_chat_turn.py [TURNS] [TOP] [STATS_FILE]

With ``STATS_FILE`` the merged profile is also written there (``python -m pstats STATS_FILE``).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

FIRST = "monthly revenue for the last year"


def main(argv: list[str]) -> int:
    from doubles.generation import DashboardGenerationService, create_session

    from bench.common import dev_server, forget_all
    from shared.adapters.identity.port import Principal
    from shared.agent import runner
    from shared.dev.seed import DEMO_EMAIL

    turns = int(argv[0]) if argv else 5
    top = int(argv[1]) if len(argv) > 1 else 25
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    on = threading.Event()
    real_run_step = runner.run_step

    def profiled_run_step(*args: Any, **kwargs: Any) -> str:
        if not on.is_set():
            return real_run_step(*args, **kwargs)
        prof = cProfile.Profile()
        try:
            return prof.runcall(real_run_step, *args, **kwargs)
        finally:
            with lock:
                profiles.append(prof)

    runner.run_step = profiled_run_step  # handle_task looks it up by name
    with dev_server(scale=1.0) as srv:
        user = Principal(DEMO_EMAIL, DEMO_EMAIL)
        service = DashboardGenerationService(srv.c)
        service.generate(create_session(srv.c, user, srv.team_id, srv.connection_id), FIRST, user=user)
        caller = cProfile.Profile()
        wall = 0.0
        on.set()
        for _ in range(turns):
            forget_all(srv.c, user, srv.team_id)
            session = create_session(srv.c, user, srv.team_id, srv.connection_id)
            t0 = time.perf_counter()
            turn_id = caller.runcall(service.start, session, FIRST, user=user)
            service.wait(session, turn_id)
            wall += time.perf_counter() - t0
        on.clear()
    stats = pstats.Stats(caller, stream=io.StringIO())
    for prof in profiles:
        stats.add(prof)
    if len(argv) > 2:
        stats.dump_stats(argv[2])
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"{turns} turns: wall {wall / turns * 1000:.0f} ms/turn, profiled CPU {total / turns * 1000:.0f} ms/turn"
    )
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
