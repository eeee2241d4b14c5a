"""How long a committed chat event takes to reach an open event stream (SSE over real HTTP).

One session with a queued turn (so the stream follows it as a running turn), one client reading
``GET /v1/chat/sessions/{id}/events``; the bench appends one event at a time through the chat
service, each after a pause of 0.1-0.5 s (the stream has gone quiet), and measures from the end
of the commit to the moment the client reads the event. Median and p90 of ``BENCH_STREAM_EVENTS``.

    .venv/bin/python -m bench --only stream
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from typing import Any

from bench.common import dev_server, pct, row

EVENTS = int(os.environ.get("BENCH_STREAM_EVENTS", "30"))


def run() -> list[dict[str, Any]]:
    import requests
    from doubles.generation import create_session

    from shared.adapters.identity.port import Principal
    from shared.db.models import Turn
    from shared.dev.seed import DEMO_EMAIL
    from shared.services import chat

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with dev_server(scale=0.05) as srv:
        user = Principal(DEMO_EMAIL, DEMO_EMAIL)
        session_id = create_session(srv.c, user, srv.team_id, srv.connection_id)
        with srv.c.db.session() as s:
            turn_id = chat.start_turn(srv.c, s, chat.require_session(s, user, session_id), "bench").id
        arrived: dict[int, float] = {}
        ready = threading.Event()

        def read() -> None:
            url = f"{srv.url}/v1/chat/sessions/{session_id}/events?wait=55"
            with requests.get(url, headers=srv.headers, stream=True, timeout=120) as resp:
                for line in resp.iter_lines(decode_unicode=True):
                    if line.startswith("retry:"):
                        ready.set()
                    elif line.startswith("id: "):
                        arrived[int(line[4:])] = time.perf_counter()
                        if len(arrived) >= EVENTS:
                            return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert ready.wait(30), "the stream never opened"
        committed: dict[int, float] = {}
        for i in range(EVENTS):
            time.sleep(random.uniform(0.1, 0.5))
            with srv.c.db.session() as s:
                turn = s.get(Turn, turn_id)
                assert turn is not None
                seq = chat.append_events(s, turn, i, [("token", {"text": f"t{i}"})])[0]
            committed[seq] = time.perf_counter()
        reader.join(60)
        delays = [(arrived[k] - committed[k]) * 1000 for k in committed if k in arrived]
        assert len(delays) == EVENTS, f"{len(delays)} of {EVENTS} events arrived"
    return [
        row(
            "SSE: committed event -> client (p50)",
            pct(delays, 50),
            "ms",
            f"p90 {pct(delays, 90):.1f} ms, min {min(delays):.1f}, max {max(delays):.1f} of {EVENTS}",
        )
    ]
