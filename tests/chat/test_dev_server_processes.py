"""`bridge dev` with task processes: the real command, a chat turn streamed over HTTP, children reaped.

The server runs as ``make dev`` runs it (its own process, the console script, the demo seeded);
its chat steps run in spawned task processes, the stream is woken by their commits and the
dashboard they saved is served warm by the server.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from test_chat_http import read_sse
from testkit import free_port, wait_healthy


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_bridge_dev_runs_chat_steps_in_task_processes(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
        "BRIDGE_TASK_PROCESSES": "2",
        "BRIDGE_DATABASE_URL": "",
        "BRIDGE_AUTH_SECRET": "dev-processes-0123456789-0123456789-ab",
    }
    bridge = Path(sys.executable).parent / "bridge"
    server = subprocess.Popen(
        [str(bridge), "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        banner = ""
        assert server.stdout is not None
        deadline = time.monotonic() + 120
        while "API token:" not in banner and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, f"bridge dev exited: {banner}"
            banner += line
        token = re.search(r"API token: (\S+)", banner)
        ids = re.search(r"team: (\S+)\s+connection: (\S+)", banner)
        assert token and ids, banner
        url, h = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token.group(1)}"}
        assert wait_healthy(url), "bridge dev did not answer /healthz"
        spawned = [p for p in _children(server.pid) if b"spawn_main" in _cmdline(p)]
        assert len(spawned) == 2, "bridge dev did not start its two task processes"

        r = requests.post(
            f"{url}/v1/chat/sessions",
            json={"team_id": ids.group(1), "connection_id": ids.group(2)},
            headers=h,
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        with requests.post(
            f"{url}/v1/chat/sessions/{sid}/messages",
            json={"content": "revenue by month"},
            headers=h,
            stream=True,
            timeout=120,
        ) as resp:
            assert resp.status_code == 200
            events = read_sse(resp)
        done = [e["data"] for e in events if e["event"] == "done"]
        assert done and done[-1].get("dashboard_slug"), events[-3:]
        assert [e for e in events if e["event"] == "tool_call"]

        slug = done[-1]["dashboard_slug"]
        data = f"{url}/v1/teams/{ids.group(1)}/dashboards/{slug}/data"
        deadline = time.monotonic() + 60
        while True:  # the save's warm-up runs in a task process after the turn is done
            views = requests.get(data, headers=h, timeout=30).json()["views"]
            if {v["cache"] for v in views} == {"hit"} or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert views and {v["cache"] for v in views} == {"hit"}
    finally:
        children = _children(server.pid)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert server.returncode is not None
    time.sleep(0.5)
    assert [p for p in children if Path(f"/proc/{p}").exists() and _state(p) != "Z"] == []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
