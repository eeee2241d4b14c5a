"""The Firebase Auth emulator (npm ``firebase-tools``, Node only) for tests: start, REST calls, admin.

The emulator answers Identity Platform's REST calls (signUp, signInWithPassword, sendOobCode,
securetoken's refresh grant, the admin accounts:update) under
``{url}/identitytoolkit.googleapis.com`` and ``{url}/securetoken.googleapis.com``, with CORS for
browsers; its ID tokens carry Identity Platform's claims but no signature. A ``demo-`` project id
never reaches Google.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
FIREBASE = ROOT / "node_modules" / ".bin" / "firebase"
PROJECT = "demo-bridge"
KEY = "emulator-web-key"
START_S = 180.0


def missing() -> str | None:
    """Why the emulator cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not FIREBASE.exists():
        return "firebase-tools is not installed (make test's npm setup)"
    return None


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def auth_emulator(root: Path) -> Iterator[str]:
    """``firebase emulators:start --only auth`` on free ports under ``root``; yields its base URL."""
    auth, hub, logging_port = _port(), _port(), _port()
    config = {
        "emulators": {
            "auth": {"host": "127.0.0.1", "port": auth},
            "hub": {"host": "127.0.0.1", "port": hub},
            "logging": {"host": "127.0.0.1", "port": logging_port},
            "ui": {"enabled": False},
        }
    }
    (root / "firebase.json").write_text(json.dumps(config))
    env = {**os.environ, "HOME": str(root), "NO_UPDATE_NOTIFIER": "1"}
    log = (root / "emulator.log").open("wb")
    process = subprocess.Popen(
        [str(FIREBASE), "emulators:start", "--only", "auth", "--project", PROJECT],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{auth}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            try:
                requests.get(url, timeout=2)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = (root / "emulator.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"the Firebase Auth emulator did not start:\n{tail}") from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()


def toolkit(url: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    """One ``accounts:<method>`` call with the web API key; its JSON answer (must be 200)."""
    response = requests.post(
        f"{url}/identitytoolkit.googleapis.com/v1/accounts:{method}?key={KEY}", json=body, timeout=10
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def verify_email(url: str, local_id: str) -> None:
    """Mark an account's email verified with the emulator's admin credential (as an operator would)."""
    response = requests.post(
        f"{url}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts:update",
        json={"localId": local_id, "emailVerified": True},
        headers={"Authorization": "Bearer owner"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def oob_codes(url: str) -> list[dict[str, Any]]:
    """The emails the emulator would have sent (verification links and the like), oldest first."""
    response = requests.get(f"{url}/emulator/v1/projects/{PROJECT}/oobCodes", timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json().get("oobCodes", []))


def delete_account(url: str, local_id: str) -> None:
    """Delete an account with the emulator's admin credential (as an operator would in the console)."""
    response = requests.post(
        f"{url}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts:delete",
        json={"localId": local_id},
        headers={"Authorization": "Bearer owner"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
