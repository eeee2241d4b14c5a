"""The local dev server: every function's routes on one port, embedded adapters, demo seeded."""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from shared.bootstrap import Container
from shared.dev.seed import DEMO_EMAIL
from shared.entry.local_events import wire_local_events


def dev_container(task_processes: int | None = None) -> Container:
    """The dev server's container: the settings, its chat steps in task processes (``task_processes``,
    else ``BRIDGE_TASK_PROCESSES`` when set, else :func:`default_task_processes`)."""
    from shared.adapters.tasks.processes import default_task_processes
    from shared.settings import ENV_PREFIX, get_settings

    settings = get_settings()
    if task_processes is None and not any(k.upper() == f"{ENV_PREFIX}TASK_PROCESSES" for k in os.environ):
        task_processes = default_task_processes()
    return Container(settings if task_processes is None else settings.replace(task_processes=task_processes))


def prepare(c: Container) -> tuple[str, str]:
    """Migrate, seed the demo, and wire local events (object finalize → precompute)."""
    from shared.db.migrate import upgrade
    from shared.dev.seed import seed_demo

    upgrade(c.db.engine)
    wire_local_events(c)
    return seed_demo(c)


_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s\"]+")


def redact(line: str) -> str:
    """Hide bearer tokens that EventSource has to send in the query string."""
    return _TOKEN_IN_URL.sub(r"\1[redacted]", line)


def request_handler() -> Any:
    """The dev server's request handler: tokens redacted from logs, and the errors the HTTP server
    itself answers (a header line over 64 KiB: 431, a malformed request line: 400) in the shared
    JSON error shape instead of http.server's HTML page."""
    import json

    from werkzeug.serving import WSGIRequestHandler

    from shared.errors import for_status

    class RedactingHandler(WSGIRequestHandler):
        def log(self, type: str, message: str, *args: Any) -> None:
            super().log(type, redact(message % args) if args else redact(message))

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            text = message or self.responses.get(code, ("error",))[0]
            body = json.dumps(for_status(code, text).to_dict()).encode()
            self.log_error("code %d, message %s", code, text)
            self.send_response(code, text)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
            self.close_connection = True

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
    workers = c.settings.task_processes
    print(f"  task workers: {f'{workers} processes' if workers else 'threads in this process'}")
    print(f"  API token: {token}\n", flush=True)
    run_simple(
        host,
        port,
        dev_app(c),
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=request_handler(),
    )
