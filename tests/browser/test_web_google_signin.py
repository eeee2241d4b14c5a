"""Identity Platform sign-in on the page against the Firebase Auth emulator (npm ``firebase-tools``).

The page makes its real REST calls (accounts:signInWithPassword, accounts:sendOobCode,
securetoken's refresh grant) to the emulator, and the API verifies the emulator's tokens with
GoogleIdentity in emulator mode (claims checked: project, issuer, expiry, verified email; the
emulator does not sign). Verifying Google-signed tokens is covered by tests/cloud.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cloud.firebase_emulator import KEY, PROJECT, auth_emulator, missing, oob_codes, toolkit
from playwright.sync_api import expect

from shared.bootstrap import set_container

pytestmark = [pytest.mark.browser, pytest.mark.skipif(missing() is not None, reason=str(missing()))]

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with auth_emulator(tmp_path_factory.mktemp("firebase")) as url:
        yield url


@pytest.fixture
def google_server(tmp_path: Path, db_url: str, demo_warehouse: Path, emulator: str) -> Iterator[Any]:
    from testkit import LiveServer, make_container

    from shared.dev.server import prepare
    from shared.entry.functions import dev_app

    c = make_container(
        tmp_path / "data",
        db_url,
        demo_warehouse,
        identity="google",
        auth_audience=PROJECT,
        auth_emulator_host=urlsplit(emulator).netloc,
        identity_api_key=KEY,
        identity_toolkit_url=f"{emulator}/identitytoolkit.googleapis.com",
        securetoken_url=f"{emulator}/securetoken.googleapis.com",
    )
    set_container(c)
    prepare(c)
    server = LiveServer(dev_app())
    try:
        yield server
    finally:
        server.close()
        set_container(None)


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def _sign_in(page: Any, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")


def test_sign_in_verification_and_token_refresh(google_server: Any, emulator: str, open_page: Any) -> None:
    email = f"ana{time.monotonic_ns()}@example.com"
    account = toolkit(emulator, "signUp", {"email": email, "password": PASSWORD, "returnSecureToken": True})
    page = open_page()
    page.problems.expect("400")  # the wrong password below is the emulator's 400, shown to the user
    page.goto(f"{google_server.url}/")

    _sign_in(page, email, "wrong")
    expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")

    # The password is right but nobody verified the email: the page sends the verification link
    # (the API would refuse the token) and keeps no session.
    _sign_in(page, email, PASSWORD)
    expect(page.get_by_role("status")).to_contain_text(f"We sent a verification link to {email}")
    assert page.evaluate("localStorage.getItem('bridge.token')") is None
    [sent] = [o for o in oob_codes(emulator) if o["email"] == email]
    assert sent["requestType"] == "VERIFY_EMAIL"
    unverified = toolkit(
        emulator, "signInWithPassword", {"email": email, "password": PASSWORD, "returnSecureToken": True}
    )
    refused = requests.get(
        f"{google_server.url}/v1/teams",
        headers={"Authorization": f"Bearer {unverified['idToken']}"},
        timeout=10,
    )
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"

    # The user opens the emailed link (the emulator's action page applies the code), then signs in.
    link = page.context.new_page()
    link.goto(sent["oobLink"])
    link.close()
    _sign_in(page, email, PASSWORD)
    page.get_by_role("navigation", name="Main").wait_for()
    token = page.evaluate("localStorage.getItem('bridge.token')")
    assert _claims(token)["email_verified"] is True
    teams = requests.get(
        f"{google_server.url}/v1/teams", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert teams.status_code == 200, teams.text
    assert page.evaluate("localStorage.getItem('bridge.refresh')")

    # An hour later the token is about to expire: the next API call refreshes it first at securetoken.
    page.evaluate(f"localStorage.setItem('bridge.expires', String({int(time.time() * 1000)}))")
    with (
        page.expect_response(
            lambda r: r.url.startswith(f"{emulator}/securetoken.googleapis.com/v1/token")
        ) as refresh,
        page.expect_response(lambda r: "/v1/teams?" in r.url and r.status == 200),
    ):
        page.get_by_role("link", name="Teams").click()
    assert "grant_type=refresh_token" in (refresh.value.request.post_data or "")
    assert refresh.value.status == 200
    renewed = page.evaluate("localStorage.getItem('bridge.token')")
    assert renewed == refresh.value.json()["id_token"]  # the page keeps and sends the refreshed token
    assert int(page.evaluate("localStorage.getItem('bridge.expires')")) > time.time() * 1000 + 3_000_000
    assert _claims(renewed)["sub"] == _claims(token)["sub"] == account["localId"]
    again = requests.get(
        f"{google_server.url}/v1/teams", headers={"Authorization": f"Bearer {renewed}"}, timeout=10
    )
    assert again.status_code == 200, again.text


def test_config_and_csp_name_the_identity_endpoints(google_server: Any, emulator: str) -> None:
    config = requests.get(f"{google_server.url}/config.json", timeout=10).json()
    assert config == {
        "sign_in": "google",
        "identity": {
            "api_key": KEY,
            "toolkit_url": f"{emulator}/identitytoolkit.googleapis.com",
            "securetoken_url": f"{emulator}/securetoken.googleapis.com",
        },
    }
    csp = requests.get(f"{google_server.url}/", timeout=10).headers["Content-Security-Policy"]
    assert f"connect-src 'self' {emulator}" in csp
    assert (
        requests.post(f"{google_server.url}/v1/dev/token", json={"email": "x@y.z"}, timeout=10).status_code
        == 404
    )
