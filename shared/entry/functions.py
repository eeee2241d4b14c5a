"""Which routes each HTTP Cloud Function serves; the dev server mounts them all.

Each function below imports its blueprints when its app is first built, so a function's cold
start loads only its own routes. ``precompute`` is a CloudEvent function
(functions/precompute/main.py), not listed here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Blueprint, Flask

from shared.bootstrap import Container, get_container
from shared.entry.app import create_app


def onboard() -> list[Blueprint]:
    """Teams, members, connections."""
    from shared.entry.routes.feedback import bp as feedback_bp
    from shared.entry.routes.teams import bp

    return [bp, feedback_bp]


def validate() -> list[Blueprint]:
    """Validate a connection (dry-run ``SELECT 1``)."""
    from shared.entry.routes.connections import validate_bp

    return [validate_bp]


def scan() -> list[Blueprint]:
    """Scan a connection's catalog."""
    from shared.entry.routes.connections import scan_bp

    return [scan_bp]


def chat_turn() -> list[Blueprint]:
    """Chat sessions, messages and their event streams."""
    from shared.entry.routes.chat import bp

    return [bp]


def agent_step() -> list[Blueprint]:
    """The Cloud Tasks target (``POST /tasks/<handler>``)."""
    from shared.entry.routes.tasks import bp

    return [bp]


def save_dashboard() -> list[Blueprint]:
    """``PUT`` a dashboard's YAML (validated, dry-run, versioned)."""
    from shared.entry.routes.dashboards import save_bp
    from shared.entry.routes.feedback import accept_bp
    from shared.entry.routes.knowledge import write_bp

    return [save_bp, write_bp, accept_bp]


def dashboards() -> list[Blueprint]:
    """List, read, history and delete dashboards."""
    from shared.entry.routes.dashboards import read_bp
    from shared.entry.routes.knowledge import read_bp as knowledge_read_bp

    return [read_bp, knowledge_read_bp]


def serve_data() -> list[Blueprint]:
    """Dashboard data, refresh and warm."""
    from shared.entry.routes.data import bp

    return [bp]


def app() -> list[Blueprint]:
    """The web app, vendored Vega builds, local sign-in."""
    from shared.entry.routes.web import bp

    return [bp]


FUNCTIONS: dict[str, Callable[[], list[Blueprint]]] = {
    "onboard": onboard,
    "validate": validate,
    "scan": scan,
    "chat_turn": chat_turn,
    "agent_step": agent_step,
    "save_dashboard": save_dashboard,
    "dashboards": dashboards,
    "serve_data": serve_data,
    "app": app,
}

_apps: dict[str, tuple[Container, Flask]] = {}
_lock = threading.Lock()


def function_app(name: str) -> Flask:
    """The Flask app of one function over the process's container, built once per instance."""
    c = get_container()
    with _lock:
        built = _apps.get(name)
        if built is None or built[0] is not c:
            built = _apps[name] = (c, create_app(FUNCTIONS[name](), name=name, container=c))
        return built[1]


def dev_app(c: Container | None = None) -> Flask:
    """One app serving every function's routes (the local dev server)."""
    blueprints = [bp for routes in FUNCTIONS.values() for bp in routes()]
    return create_app(blueprints, name="bridge-dev", container=c)
