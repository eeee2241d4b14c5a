"""Which blueprints each HTTP Cloud Function serves; the dev server mounts them all.

``precompute`` is a CloudEvent function (functions/precompute/main.py), not listed here.
"""

from __future__ import annotations

import importlib
import threading

from flask import Blueprint, Flask

from shared.entry.app import create_app

# function name -> "module:blueprint" of the routes it serves
FUNCTIONS: dict[str, list[str]] = {
    "onboard": ["shared.entry.routes.teams:bp"],
    "validate": ["shared.entry.routes.connections:validate_bp"],
    "scan": ["shared.entry.routes.connections:scan_bp"],
    "chat_turn": ["shared.entry.routes.chat:bp"],
    "agent_step": ["shared.entry.routes.tasks:bp"],
    "save_dashboard": ["shared.entry.routes.dashboards:save_bp"],
    "dashboards": ["shared.entry.routes.dashboards:read_bp"],
    "serve_data": ["shared.entry.routes.data:bp"],
    "app": ["shared.entry.routes.web:bp"],
}

_apps: dict[str, Flask] = {}
_lock = threading.Lock()


def blueprint(ref: str) -> Blueprint:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def function_app(name: str) -> Flask:
    """The Flask app of one function, built once per instance."""
    with _lock:
        if name not in _apps:
            _apps[name] = create_app([blueprint(r) for r in FUNCTIONS[name]], name=name)
        return _apps[name]


def dev_app() -> Flask:
    """One app serving every function's routes (the local dev server)."""
    refs = [r for refs in FUNCTIONS.values() for r in refs]
    return create_app([blueprint(r) for r in refs], name="bridge-dev")
