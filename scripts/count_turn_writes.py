"""Count what one chat turn writes to the directory database: commits, statements, event rows.

Runs a dev container on a temporary SQLite file with the offline planner and the in-process task
queue, then one session of turns (a new dashboard, follow-ups, the first question again). Prints
per turn: commits, INSERT/UPDATE/DELETE statements, chat_events rows, live_tokens rows,
SELECTs and session-log objects read (earlier steps' records). fsyncs are the system's own
count: each turn starts with a failing ``stat`` of ``/dev/null/turn-N``, so under strace the
fsyncs between two marks are that turn's:

    python scripts/count_turn_writes.py [TURNS]
    strace -f -e trace=fsync,fdatasync,newfstatat,stat -o trace.txt python scripts/count_turn_writes.py
    grep -E 'turn-[0-9]+|fsync|fdatasync' trace.txt | grep -v ENOENT
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

ASKS = ["monthly revenue for the last year", "make the trend a bar chart", "add a KPI for total orders"]


def main(argv: list[str]) -> int:
    from doubles.generation import DashboardGenerationService, create_session
    from sqlalchemy import event

    from shared.adapters.identity.port import Principal
    from shared.bootstrap import Container, set_container
    from shared.dev.seed import DEMO_EMAIL
    from shared.dev.server import prepare
    from shared.settings import Settings

    turns = int(argv[0]) if argv else 4
    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        c = Container(Settings(data_dir=Path(tmp), demo_scale=0.05, auth_secret="count-" + "x" * 40))
        set_container(c)
        team_id, conn_id = prepare(c)

        @event.listens_for(c.db.engine, "commit")
        def _commit(_conn: Any) -> None:
            counts["commit"] += 1

        @event.listens_for(c.db.engine, "before_cursor_execute")
        def _stmt(_c: Any, _cur: Any, sql: str, _p: Any, _ctx: Any, _many: bool) -> None:
            verb = sql.lstrip().split(None, 1)[0].upper()
            counts[verb] += 1
            for table in ("chat_events", "live_tokens"):
                if verb == "INSERT" and f"INTO {table}" in sql:
                    counts[table] += 1 if not _many else len(_p)

        log = c.store("sessions")
        real_get = log.get

        def counted_get(path: str, *args: Any, **kwargs: Any) -> Any:
            counts["log_reads"] += 1
            return real_get(path, *args, **kwargs)

        log.get = counted_get  # type: ignore[method-assign]
        user = Principal(DEMO_EMAIL, DEMO_EMAIL)
        service = DashboardGenerationService(c)
        session = create_session(c, user, team_id, conn_id)
        print(
            f"{'turn':<5} {'commits':>7} {'writes':>6} {'events':>6} {'live':>5} {'selects':>7} "
            f"{'log reads':>9} {'ms':>6}  ask"
        )
        for n in range(turns):
            ask = ASKS[n % len(ASKS)] if n < turns - 1 or turns == 1 else ASKS[0]
            counts.clear()
            Path(f"/dev/null/turn-{n + 1}").exists()  # the strace mark of this turn
            t0 = time.perf_counter()
            service.start(session, ask, user=user)
            c.task_queue.join(120)  # type: ignore[attr-defined]
            ms = (time.perf_counter() - t0) * 1000
            writes = counts["INSERT"] + counts["UPDATE"] + counts["DELETE"]
            print(
                f"{n + 1:<5} {counts['commit']:>7} {writes:>6} {counts['chat_events']:>6} "
                f"{counts['live_tokens']:>5} {counts['SELECT']:>7} {counts['log_reads']:>9} {ms:>6.0f}  {ask}"
            )
        c.task_queue.close()  # type: ignore[attr-defined]
        set_container(None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
