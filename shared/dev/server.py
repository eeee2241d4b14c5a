"""The local dev server: every function's routes on one port, embedded adapters, demo seeded."""

from __future__ import annotations

import logging
import re
from typing import Any

from shared.bootstrap import Container
from shared.dev.seed import DEMO_EMAIL


def prepare(c: Container) -> tuple[str, str]:
    """Migrate, seed the demo, and wire local events (object finalize → precompute)."""
    from shared.db.migrate import upgrade
    from shared.dev.seed import seed_demo

    upgrade(c.db.engine)
    wire_local_events(c)
    return seed_demo(c)


def wire_local_events(c: Container) -> None:
    """The local object store's finalize events reach precompute through the task queue, as on GCP."""
    queue = c.task_queue

    def on_finalize(event: Any) -> None:
        from cloudevents.conversion import to_dict

        queue.enqueue("precompute", {"event": to_dict(event)})

    c.store("dashboards").subscribe(on_finalize)


_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s\"]+")


def redact(line: str) -> str:
    """Hide bearer tokens that EventSource has to send in the query string."""
    return _TOKEN_IN_URL.sub(r"\1[redacted]", line)


def _request_handler() -> Any:
    from werkzeug.serving import WSGIRequestHandler

    class RedactingHandler(WSGIRequestHandler):
        def log(self, type: str, message: str, *args: Any) -> None:
            super().log(type, redact(message % args) if args else redact(message))

    return RedactingHandler


def run(c: Container, *, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    from shared.entry.functions import dev_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    team_id, conn_id = prepare(c)
    token = c.local_identity.issue(DEMO_EMAIL)
    url = f"http://{host}:{port}/"
    print(f"\nBridge is running: {url}\n  demo user: {DEMO_EMAIL}\n  team: {team_id}  connection: {conn_id}")
    print(f"  API token: {token}\n", flush=True)
    run_simple(
        host,
        port,
        dev_app(c),
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=_request_handler(),
    )
