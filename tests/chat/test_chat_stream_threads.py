"""More open event streams than server threads: the instance still answers other requests.

chat_turn runs here as Cloud Functions runs it: ``functions-framework`` in production mode, so
gunicorn's threaded worker with ``THREADS`` threads (the setting Terraform now passes). Streams
beyond the instance's stream slots end at once with a reconnect hint instead of holding a thread.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from chat_helpers import ChatEnv
from testkit import free_port, wait_healthy

from shared.entry.routes.chat import KEEPALIVE_S
from shared.entry.stream_slots import RESERVED
from shared.services import chat

ROOT = Path(__file__).resolve().parents[2]
THREADS = 3
STREAMS = THREADS + 2
WAIT_S = 10


@pytest.fixture
def chat_turn_server(chat_env: ChatEnv) -> Iterator[str]:
    """functions/chat_turn served by functions-framework (gunicorn, THREADS threads) on the test's data."""
    port = free_port()
    settings = chat_env.c.settings
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "THREADS": str(THREADS),
        "BRIDGE_DATA_DIR": str(settings.data_dir),
        "BRIDGE_DATABASE_URL": settings.database_url,
        "BRIDGE_AUTH_SECRET": settings.auth_secret,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "functions_framework", "--target", "chat_turn", "--port", str(port)],
        cwd=ROOT / "functions" / "chat_turn",
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_healthy(url):
            pytest.fail("functions-framework did not start")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGQUIT)  # gunicorn's quick shutdown: open streams need not end
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _session(chat_env: ChatEnv) -> tuple[str, dict[str, str]]:
    """A new chat session of the test user, and the headers that sign its requests."""
    with chat_env.c.db.session() as s:
        session_id = chat.create_session(s, chat_env.user, chat_env.team_id, chat_env.connection_id).id
    return session_id, {"Authorization": f"Bearer {chat_env.c.local_identity.issue(chat_env.user.email)}"}


def test_more_streams_than_threads_leave_the_instance_answering(
    chat_env: ChatEnv, chat_turn_server: str
) -> None:
    session_id, headers = _session(chat_env)
    events_url = f"{chat_turn_server}/v1/chat/sessions/{session_id}/events?wait={WAIT_S}"
    ended: list[tuple[float, bytes]] = []
    opened = time.monotonic()

    def watch() -> None:
        with requests.get(events_url, headers=headers, stream=True, timeout=WAIT_S + 10) as response:
            assert response.status_code == 200
            body = b"".join(response.iter_content(chunk_size=None))
        ended.append((time.monotonic() - opened, body))

    watchers = [threading.Thread(target=watch, daemon=True) for _ in range(STREAMS)]
    for w in watchers:
        w.start()
    time.sleep(1.0)

    started = time.monotonic()
    answer = requests.get(f"{chat_turn_server}/v1/chat/sessions/{session_id}", headers=headers, timeout=10)
    answered_in = time.monotonic() - started

    assert answer.status_code == 200 and answer.json()["id"] == session_id
    assert answered_in < 5, f"a plain request waited {answered_in:.1f}s behind open streams"
    busy = [body for at, body in ended if at < 5]
    assert len(busy) == STREAMS - (THREADS - RESERVED)  # the streams without a slot ended at once ...
    assert all(body.startswith(b"retry: 1500") for body in busy)  # ... asking the browser to come back
    alive = sum(w.is_alive() for w in watchers)
    assert alive == THREADS - RESERVED  # the others still follow the session


def test_a_stream_whose_client_left_frees_its_slot_within_the_keepalive(
    chat_env: ChatEnv, chat_turn_server: str
) -> None:
    session_id, headers = _session(chat_env)
    events_url = f"{chat_turn_server}/v1/chat/sessions/{session_id}/events?wait=30"

    def first_line() -> bytes:
        with requests.get(events_url, headers=headers, stream=True, timeout=40) as response:
            assert response.status_code == 200
            return next(response.iter_lines())  # then the client goes away, as a closed tab does

    assert [first_line() for _ in range(THREADS - RESERVED)] == [b"retry: 1000"] * (THREADS - RESERVED)
    time.sleep(KEEPALIVE_S + 2.0)  # each departed stream's next keep-alive write fails and ends it

    assert first_line() == b"retry: 1000"  # a slot is free again (not "retry: 1500": busy)
