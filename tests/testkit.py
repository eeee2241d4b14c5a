"""Test helpers shared by every folder (a uniquely named module: conftest files shadow each other)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

from shared.bootstrap import Container
from shared.db.engine import Database, sqlite_engine
from shared.settings import Settings


def make_container(
    data_dir: Path, database_url: str, demo: Path | None = None, **overrides: object
) -> Container:
    from shared.db.migrate import upgrade

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        auth_secret="test-secret-0123456789-0123456789-abcdef",
        **overrides,
    )
    c = Container(settings)
    upgrade(c.db.engine)
    if demo is not None:
        target = settings.demo_warehouse_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.link(
                demo, target
            ) if demo.stat().st_dev == target.parent.stat().st_dev else target.write_bytes(demo.read_bytes())
    return c


class LiveServer:
    """A real HTTP server on loopback serving a WSGI app in a thread."""

    def __init__(self, app: object) -> None:
        from werkzeug.serving import make_server

        from shared.dev.server import request_handler

        self._server = make_server(
            "127.0.0.1",
            0,
            app,  # type: ignore[arg-type]
            threaded=True,
            request_handler=request_handler(),
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()


def free_port() -> int:
    """A loopback port nothing listens on right now (for a server started in another process)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, timeout_s: float = 30.0) -> bool:
    """Whether ``url``/healthz answered 200 within ``timeout_s`` (a server starting in another process)."""
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


def sqlite_db(file: Path, *setup: str) -> Database:
    """A SQLite database at ``file`` after the ``setup`` statements (one transaction)."""
    from sqlalchemy import text

    db = Database(sqlite_engine(f"sqlite:///{file}"))
    with db.session() as s:
        for statement in setup:
            s.execute(text(statement))
    return db


def counter_db(file: Path) -> Database:
    """A SQLite database at ``file`` with one counter row: table ``n``, id 1, v 0."""
    return sqlite_db(
        file, "CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)", "INSERT INTO n VALUES (1, 0)"
    )
