"""Oversize and malformed requests through the server Cloud Functions runs: functions-framework's gunicorn.

Finding 10's last item: gunicorn, which functions-framework starts, refuses a header field over
8190 bytes with an HTML page before Flask sees it, so the app's own JSON 431 never answered and a
10 KB token the app accepts was refused. Here the real ``functions/dashboards`` is served by
``python -m functions_framework`` (production mode: gunicorn's threaded worker) on a free port,
and raw requests are written to its socket. A control serves a function that does not call
:func:`shared.entry.http_server.configure` and shows gunicorn's HTML answer the fix replaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from testkit import free_port

from shared.entry.input_guard import MAX_HEADER_BYTES

from .figures import record

ROOT = Path(__file__).resolve().parents[2]
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: bridge\r\nConnection: close\r\n"


def exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Write ``data`` to the server; its answer's status, headers (lower-case names) and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)  # the server may answer and close before reading everything
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines))
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """``serve(source, target)`` → the port of that function under functions-framework."""
    data = tmp_path_factory.mktemp("ff")
    processes: list[subprocess.Popen[bytes]] = []

    def start(source: Path, target: str) -> int:
        port = free_port()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "THREADS": "2",
            "BRIDGE_DATA_DIR": str(data),
            "BRIDGE_DATABASE_URL": f"sqlite:///{data / 'bridge.db'}",
            "BRIDGE_AUTH_SECRET": "s" * 40,
        }
        cmd = [sys.executable, "-m", "functions_framework", "--target", target, "--source", str(source)]
        process = subprocess.Popen(
            [*cmd, "--port", str(port)],
            cwd=source.parent if source.name == "main.py" else data,
            env=env,
            start_new_session=True,
        )
        processes.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return port
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"functions-framework did not start {target}")

    try:
        yield start
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGQUIT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def header(size: int, name: bytes = b"X-Pad") -> bytes:
    """One header line of ``size`` bytes, CRLF included (how gunicorn measures a field)."""
    return name + b": " + b"y" * (size - len(name) - 4) + b"\r\n"


def assert_json_error(status: int, headers: dict[str, str], body: bytes, want: int, code: str) -> None:
    assert status == want, (status, body[:200])
    assert headers.get("content-type", "").startswith("application/json"), (headers, body[:200])
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"], error


def test_oversize_and_malformed_requests_get_the_json_error_shape_from_the_function(serve: object) -> None:
    port = serve(ROOT / "functions" / "dashboards" / "main.py", "dashboards")  # type: ignore[operator]

    # gunicorn's own default would refuse this field (8190 bytes); the app's bound admits it
    status, _, body = exchange(port, REQUEST + header(12_000) + b"\r\n")
    assert status == 200 and json.loads(body) == {"status": "ok"}, body[:200]
    token = b"Authorization: Bearer " + b"t" * 10_000 + b"\r\n"
    assert exchange(port, REQUEST + token + b"\r\n")[0] == 200  # a 10 KB token reaches the app

    cases = [  # (request, status, code, answered by the app itself)
        (REQUEST + header(MAX_HEADER_BYTES + 100) + b"\r\n", 431, "headers_too_large", True),
        (REQUEST + header(2 * MAX_HEADER_BYTES - 10) + b"\r\n", 431, "headers_too_large", True),
        (REQUEST + b"Authorization: Bearer " + b"t" * 100_000 + b"\r\n\r\n", 431, "headers_too_large", False),
        (REQUEST + header(70_000) + b"\r\n", 431, "headers_too_large", False),
        (
            REQUEST + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n",
            431,
            "headers_too_large",
            False,
        ),
        (b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: bridge\r\n\r\n", 400, "bad_request", True),
        (b"GET /healthz?" + b"q=1&" * 700 + b" HTTP/1.1\r\nHost: bridge\r\n\r\n", 400, "bad_request", True),
        (b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: bridge\r\n\r\n", 414, "http_error", False),
        (b"GARBAGE\r\n\r\n", 400, "bad_request", False),
        (b"GET /healthz HTTP/9.9\r\nHost: bridge\r\n\r\n", 400, "bad_request", False),
        (REQUEST + b"Bad Name: x\r\n\r\n", 400, "bad_request", False),
    ]
    for request, want, code, by_app in cases:
        status, headers, body = exchange(port, request)
        assert_json_error(status, headers, body, want, code)
        assert ("refused by the HTTP server" not in json.loads(body)["error"]["message"]) is by_app, body
    record("bad input: functions-framework server", tried=len(cases) + 2, rejected=len(cases))


def test_control_gunicorn_unconfigured_answers_html(serve: object) -> None:
    """Without ``configure()`` the same server refuses a 12 KB field, and answers in HTML."""
    port = serve(ROOT / "tests" / "cloud" / "tasks_target.py", "task_target")  # type: ignore[operator]

    status, headers, body = exchange(port, REQUEST + header(12_000) + b"\r\n")

    assert status == 431 and headers.get("content-type", "").startswith("text/html"), (status, body[:200])
    assert b"<html>" in body
