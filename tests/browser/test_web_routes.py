"""The app function's routes over real HTTP: shell + CSP, static and vendor files, local sign-in."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.bootstrap import Container
from shared.entry.routes import web


def test_shell_and_preview_page_share_one_strict_policy(dev_server: Any) -> None:
    root = requests.get(f"{dev_server.url}/")
    preview = requests.get(f"{dev_server.url}/d/tm_x/revenue")
    for r in (root, preview):
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        assert '<script type="module" src="/static/app.js">' in r.text
        assert "onclick=" not in r.text.lower()
    csp = root.headers["Content-Security-Policy"]
    assert csp == preview.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"].startswith("'self' 'sha256-")
    assert "unsafe-eval" not in csp and "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"


def test_static_files_have_types_cache_headers_gzip_and_etags(dev_server: Any) -> None:
    js = requests.get(f"{dev_server.url}/static/app.js")
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert js.headers["Cache-Control"] == "no-cache" and js.headers["X-Content-Type-Options"] == "nosniff"
    css = requests.get(f"{dev_server.url}/static/app.css")
    assert css.headers["Content-Type"].startswith("text/css") and css.headers["Content-Encoding"] == "gzip"
    again = requests.get(f"{dev_server.url}/static/app.css", headers={"If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    raw = requests.get(f"{dev_server.url}/static/app.css", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert gzip.decompress(raw.raw.read()) == (web.WEB_DIR / "app.css").read_bytes()
    for bad in ("../api/web.py", "%2e%2e/api/web.py", "nope.js", "index.html"):
        r = requests.get(f"{dev_server.url}/static/{bad}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", bad


def test_vendor_serves_only_whitelisted_vega_builds(dev_server: Any) -> None:
    r = requests.get(f"{dev_server.url}/vendor/vega-embed.min.js")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/javascript")
    assert r.headers["Cache-Control"] == "public, max-age=86400" and r.headers["Content-Encoding"] == "gzip"
    assert "vegaEmbed" in r.text
    for bad in ("vega.js", "..%2Fpackage.json", "d3-array.js"):
        assert requests.get(f"{dev_server.url}/vendor/{bad}").status_code == 404, bad


def test_vendor_dir_can_be_moved(dev_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = tmp_path / "vega-lite" / "build"
    build.mkdir(parents=True)
    (build / "vega-lite.min.js").write_text("/* moved */")
    monkeypatch.setenv(web.VENDOR_ENV, str(tmp_path))
    assert requests.get(f"{dev_server.url}/vendor/vega-lite.min.js").text == "/* moved */"
    assert requests.get(f"{dev_server.url}/vendor/vega.min.js").status_code == 404


def test_dev_token_signs_in_locally(dev_server: Any, container: Container) -> None:
    r = requests.post(f"{dev_server.url}/v1/dev/token", json={"email": "Ann@Example.com"})
    assert r.status_code == 200
    assert container.local_identity.verify(r.json()["token"]).email == "ann@example.com"
    teams = requests.get(
        f"{dev_server.url}/v1/teams", headers={"Authorization": f"Bearer {r.json()['token']}"}
    )
    assert teams.status_code == 200 and teams.json() == {"teams": [], "next_cursor": None}
    bad = requests.post(f"{dev_server.url}/v1/dev/token", json={"email": "not-an-email", "admin": True})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_failed"
    assert {d["path"] for d in bad.json()["error"]["details"]} == {"$", "email"}
    form = requests.post(f"{dev_server.url}/v1/dev/token", data={"email": "a@b.c"})
    assert form.status_code == 415


def test_dev_token_is_absent_with_google_identity(tmp_path: Path) -> None:
    from shared.bootstrap import set_container
    from shared.entry.app import create_app
    from shared.settings import Settings

    c = Container(Settings(data_dir=tmp_path, identity="google", auth_audience="p"))
    set_container(c)
    try:
        client = create_app([web.bp], name="app").test_client()
        r = client.post("/v1/dev/token", json={"email": "a@b.c"})
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
        assert client.get("/").status_code == 200
    finally:
        set_container(None)
