"""Identity Platform sign-in against the Firebase Auth emulator (npm ``firebase-tools``, Node only).

The emulator answers the same REST calls as Identity Platform (sign-up, signInWithPassword,
securetoken refresh, the admin accounts:update); its ID tokens carry Identity Platform's claims
but no signature, so GoogleIdentity runs in emulator mode here (claims checked, signature not).
Signature checks of Google-signed tokens are covered by test_google_identity.py.
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
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.adapters.identity.google import GoogleIdentity
from shared.errors import Unauthorized
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FIREBASE = ROOT / "node_modules" / ".bin" / "firebase"
PROJECT = "demo-bridge"  # "demo-" projects never reach Google
KEY = "emulator-web-key"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.skipif(
    not FIREBASE.exists() or shutil.which("node") is None, reason="firebase-tools is not installed (npm ci)"
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Auth emulator on a free port; its base URL."""
    root = tmp_path_factory.mktemp("firebase")
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
    process = subprocess.Popen(
        [str(FIREBASE), "emulators:start", "--only", "auth", "--project", PROJECT],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{auth}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                requests.get(url, timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail("the Firebase Auth emulator did not start in 120 s")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _toolkit(emulator: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(
        f"{emulator}/identitytoolkit.googleapis.com/v1/accounts:{method}?key={KEY}", json=body, timeout=10
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _verify_email(emulator: str, local_id: str) -> None:
    response = requests.post(
        f"{emulator}/identitytoolkit.googleapis.com/v1/projects/{PROJECT}/accounts:update",
        json={"localId": local_id, "emailVerified": True},
        headers={"Authorization": "Bearer owner"},  # the emulator's admin credential
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_sign_in_refresh_and_an_unverified_email(emulator: str) -> None:
    identity = GoogleIdentity(PROJECT, emulator=True)
    email = f"ada{time.monotonic_ns()}@example.com"
    created = _toolkit(emulator, "signUp", {"email": email, "password": PASSWORD, "returnSecureToken": True})

    # A password account nobody verified is refused.
    unverified = _toolkit(
        emulator, "signInWithPassword", {"email": email, "password": PASSWORD, "returnSecureToken": True}
    )
    with pytest.raises(Unauthorized, match="verified email"):
        identity.verify(unverified["idToken"])

    # Once verified (as docs/deploy.md has operators create users), sign-in gives a usable token.
    _verify_email(emulator, created["localId"])
    signed_in = _toolkit(
        emulator, "signInWithPassword", {"email": email, "password": PASSWORD, "returnSecureToken": True}
    )
    principal = identity.verify(signed_in["idToken"])
    assert (principal.email, principal.subject) == (email, created["localId"])

    # The page refreshes its token with securetoken's refresh grant; the new one verifies too.
    refreshed = requests.post(
        f"{emulator}/securetoken.googleapis.com/v1/token?key={KEY}",
        data={"grant_type": "refresh_token", "refresh_token": signed_in["refreshToken"]},
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert identity.verify(refreshed.json()["id_token"]).subject == created["localId"]

    # A wrong password is Identity Platform's error, not a token.
    wrong = requests.post(
        f"{emulator}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key={KEY}",
        json={"email": email, "password": "wrong", "returnSecureToken": True},
        timeout=10,
    )
    assert wrong.status_code == 400 and "INVALID" in wrong.json()["error"]["message"]


def test_emulator_tokens_for_another_project_are_refused(emulator: str) -> None:
    email = f"bob{time.monotonic_ns()}@example.com"
    created = _toolkit(emulator, "signUp", {"email": email, "password": PASSWORD, "returnSecureToken": True})

    with pytest.raises(Unauthorized):
        GoogleIdentity("another-project", emulator=True).verify(created["idToken"])


def test_the_emulator_mode_is_refused_on_google_cloud() -> None:
    with pytest.raises(ValueError, match="refused on Google Cloud"):
        Settings(cloud="gcp", auth_emulator_host="127.0.0.1:9099")
