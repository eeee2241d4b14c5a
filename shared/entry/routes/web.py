"""app: the web front end (static single-page app), vendored Vega builds and local sign-in."""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request

import shared
from shared.entry.app import container, json_body, obj
from shared.errors import NotFound

bp = Blueprint("web", __name__)

REPO_ROOT = Path(shared.__file__).resolve().parents[1]
WEB_DIR = Path(shared.__file__).resolve().parent / "web"
VENDOR_ENV = "BRIDGE_WEB_VENDOR_DIR"
# public name -> file under node_modules (only these are served)
VENDOR_FILES = {
    "vega.min.js": "vega/build/vega.min.js",
    "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
    "vega-interpreter.js": "vega-interpreter/build/vega-interpreter.js",
}
TOKEN_BODY = obj({"email": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$", "maxLength": 320}}, ["email"])
_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)

# The types this app serves, fixed here rather than read from (or written to) the host's mimetypes.
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def media_type(name: str) -> str:
    """The Content-Type of a served file: ours for scripts, styles and SVG, else the stdlib's guess."""
    return (
        MEDIA_TYPES.get(Path(name).suffix.lower())
        or mimetypes.guess_type(name)[0]
        or "application/octet-stream"
    )


def vendor_dir() -> Path:
    """Where the npm packages live: ``$BRIDGE_WEB_VENDOR_DIR`` or the repo's node_modules."""
    return Path(os.environ.get(VENDOR_ENV) or REPO_ROOT / "node_modules")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@cache
def _shell(extra_connect: tuple[str, ...] = ()) -> tuple[str, str]:
    """The app shell and the Content-Security-Policy that admits exactly its inline import map."""
    html = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
        for m in _IMPORT_MAP.findall(html)
    )
    csp = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",  # Vega's SVG renderer sets style attributes
            "img-src 'self' data: blob:",
            " ".join(["connect-src 'self'", *extra_connect]),
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )
    return html, csp


def _secure(resp: Response, csp: str | None = None) -> Response:
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    if csp:
        resp.headers["Content-Security-Policy"] = csp
    return resp


def _page() -> Response:
    settings = container().settings
    google = settings.identity != "local"
    extra = (_origin(settings.identity_toolkit_url), _origin(settings.securetoken_url)) if google else ()
    html, csp = _shell(extra)
    resp = Response(html, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-cache"
    return _secure(resp, csp)


@bp.get("/")
def index() -> Response:
    """The app shell."""
    return _page()


@bp.get("/d/<team_id>/<slug>")
def preview(team_id: str, slug: str) -> Response:
    """The preview page of one dashboard: the same shell, which opens the dashboard view."""
    return _page()


def _file(path: Path, *, max_age: int) -> Response:
    data = path.read_bytes()
    resp = Response(data, mimetype=media_type(path.name))
    resp.set_etag(hashlib.sha256(data).hexdigest()[:32])
    resp.headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-cache"
    resp.make_conditional(request)
    return _secure(resp)


@bp.get("/static/<path:name>")
def static_file(name: str) -> Response:
    """The app's own files (revalidated on every load: they change with each deploy)."""
    root = WEB_DIR.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file() or path.name == "index.html":
        raise NotFound(f"no static file '{name}'")
    return _file(path, max_age=0)


@bp.get("/vendor/<name>")
def vendor(name: str) -> Response:
    """A whitelisted Vega build from node_modules (versioned by the lock file: cached for a day)."""
    rel = VENDOR_FILES.get(name)
    path = vendor_dir() / rel if rel else None
    if path is None or not path.is_file():
        raise NotFound(f"no vendor file '{name}'")
    return _file(path, max_age=86400)


@bp.get("/config.json")
def config() -> Any:
    """What the page needs before sign-in: which sign-in flow this deployment offers."""
    c = container()
    resp = _secure(Response(mimetype="application/json"))
    body: dict[str, Any] = {"sign_in": "local" if c.settings.identity == "local" else "google"}
    if body["sign_in"] == "local":
        body["demo_email"] = _demo_owner()
    if body["sign_in"] == "google":
        s = c.settings
        body["identity"] = {
            "api_key": s.identity_api_key,
            "toolkit_url": s.identity_toolkit_url.rstrip("/"),
            "securetoken_url": s.securetoken_url.rstrip("/"),
        }
    resp.set_data(json.dumps(body))
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _demo_owner() -> str | None:
    """Locally: the email that owns the seeded demo team (shown on the sign-in page), if seeded."""
    from sqlalchemy import select

    from shared.db.models import Team
    from shared.settings import DEMO_EMAIL, DEMO_TEAM

    with container().db.session() as s:
        found = s.scalar(select(Team.id).where(Team.admin_user_id == DEMO_EMAIL, Team.name == DEMO_TEAM))
    return DEMO_EMAIL if found else None


@bp.get("/schemas/dashboard.schema.json")
def dashboard_schema() -> Response:
    """The dashboard JSON Schema (the YAML editor completes keys from it)."""
    from shared.dashboards.schema import dashboard_schema_json

    resp = _secure(Response(dashboard_schema_json(), mimetype="application/schema+json"))
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/schemas/knowledge.schema.json")
def knowledge_schema() -> Response:
    """The team knowledge file's JSON Schema (the knowledge editor completes keys from it)."""
    from shared.knowledge.schema import knowledge_schema_json

    resp = _secure(Response(knowledge_schema_json(), mimetype="application/schema+json"))
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.post("/v1/dev/token")
def dev_token() -> Any:
    """Local sign-in: a dev token for an email. Only with local identity; 404 otherwise."""
    c = container()
    if c.settings.identity != "local":
        raise NotFound("local sign-in is not available; sign in with Google")
    body = json_body(TOKEN_BODY)
    return {"token": c.local_identity.issue(body["email"])}
