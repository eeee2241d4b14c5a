"""Identity Platform sign-in on the page: email + password over the REST API, token refresh, errors.

Google's endpoints cannot be reached here, so a local FakeIdentityToolkit answers the two REST calls
the page makes (accounts:signInWithPassword and securetoken's token refresh), with CORS as Google
does. The ID tokens it hands out are this server's own signed tokens, so the real API accepts them;
verifying Google-signed tokens is covered by the identity adapter's own tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from shared.adapters.identity.cache import CachingIdentity
from shared.bootstrap import set_container

pytestmark = pytest.mark.browser

API_KEY = "web-api-key-123"
PASSWORD = "correct horse battery staple"


class FakeIdentityToolkit:
    """The two Identity Platform REST calls of the sign-in page, answered locally."""

    def __init__(self, issue: Any) -> None:
        self.issue, self.calls = issue, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Allow-Methods", "POST")

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                fake.calls.append((url.path, parse_qs(url.query).get("key", [""])[0], raw))
                status, body = fake.answer(url.path, parse_qs(url.query).get("key", [""])[0], raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self._cors()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, key: str, raw: str) -> tuple[int, dict[str, Any]]:
        if key != API_KEY:
            return 400, {"error": {"code": 400, "message": "API_KEY_INVALID"}}
        if path == "/v1/accounts:signInWithPassword":
            body = json.loads(raw)
            if body.get("password") != PASSWORD or body.get("returnSecureToken") is not True:
                return 400, {"error": {"code": 400, "message": "INVALID_LOGIN_CREDENTIALS"}}
            token = self.issue(body["email"])
            return 200, {
                "idToken": token,
                "refreshToken": "refresh-1",
                "expiresIn": "3600",
                "email": body["email"],
            }
        if path == "/v1/token":
            form = parse_qs(raw)
            if form.get("grant_type") != ["refresh_token"] or not form.get("refresh_token"):
                return 400, {"error": {"code": 400, "message": "INVALID_REFRESH_TOKEN"}}
            return 200, {
                "id_token": self.issue("ana@example.com"),
                "refresh_token": "refresh-2",
                "expires_in": "3600",
            }
        return 404, {"error": {"code": 404, "message": "NOT_FOUND"}}


@pytest.fixture
def google_server(
    tmp_path: Path, db_url: str, demo_warehouse: Path
) -> Iterator[tuple[Any, FakeIdentityToolkit]]:
    from testkit import LiveServer, make_container

    from shared.dev.server import prepare
    from shared.entry.functions import dev_app

    c = make_container(tmp_path / "data", db_url, demo_warehouse, identity="google")
    toolkit = FakeIdentityToolkit(c.local_identity.issue)
    c = make_container(
        tmp_path / "data",
        db_url,
        None,
        identity="google",
        identity_api_key=API_KEY,
        identity_toolkit_url=toolkit.url,
        securetoken_url=toolkit.url,
    )
    c.__dict__["identity"] = CachingIdentity(c.local_identity)  # accepts the fake's tokens (see above)
    set_container(c)
    prepare(c)
    server = LiveServer(dev_app())
    try:
        yield server, toolkit
    finally:
        server.close()
        toolkit.server.shutdown()
        set_container(None)


def test_identity_platform_sign_in_and_token_refresh(google_server: Any, open_page: Any) -> None:
    server, toolkit = google_server
    page = open_page()
    page.problems.expect("400")  # the wrong password below is a 400 from the toolkit, shown to the user
    page.goto(f"{server.url}/")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.get_by_role("navigation", name="Main").wait_for()
    path, key, raw = toolkit.calls[-1]
    assert (path, key) == ("/v1/accounts:signInWithPassword", API_KEY)
    assert json.loads(raw) == {"email": "ana@example.com", "password": PASSWORD, "returnSecureToken": True}
    assert page.evaluate("localStorage.getItem('bridge.refresh')") == "refresh-1"

    # an hour later the token is about to expire: the next API call refreshes it first
    page.evaluate(f"localStorage.setItem('bridge.expires', String({int(time.time() * 1000)}))")
    with page.expect_response(lambda r: "/v1/teams?" in r.url and r.status == 200):  # paged list
        page.get_by_role("link", name="Teams").click()
    assert [c[0] for c in toolkit.calls].count("/v1/token") == 1
    assert (
        "grant_type=refresh_token" in toolkit.calls[-1][2]
        and "refresh_token=refresh-1" in toolkit.calls[-1][2]
    )
    assert page.evaluate("localStorage.getItem('bridge.refresh')") == "refresh-2"


def test_config_and_csp_name_the_identity_endpoints(google_server: Any) -> None:
    import requests

    server, toolkit = google_server
    config = requests.get(f"{server.url}/config.json").json()
    assert config == {
        "sign_in": "google",
        "identity": {"api_key": API_KEY, "toolkit_url": toolkit.url, "securetoken_url": toolkit.url},
    }
    csp = requests.get(f"{server.url}/").headers["Content-Security-Policy"]
    assert f"connect-src 'self' {toolkit.url}" in csp
    assert requests.post(f"{server.url}/v1/dev/token", json={"email": "x@y.z"}).status_code == 404
