"""Which blueprints each HTTP Cloud Function serves; the dev server mounts them all.

``precompute`` is a CloudEvent function (functions/precompute/main.py), not listed here.
"""

from __future__ import annotations

import importlib
import threading

from flask import Blueprint, Flask

from shared.http.app import create_app

# function name -> "module:blueprint" of the routes it serves
FUNCTIONS: dict[str, list[str]] = {
    "onboard": ["shared.api.teams:bp"],
    "validate": ["shared.api.connections:validate_bp"],
    "scan": ["shared.api.connections:scan_bp"],
    "chat_turn": ["shared.api.chat:bp"],
    "agent_step": ["shared.api.tasks:bp"],
    "save_dashboard": ["shared.api.dashboards:save_bp"],
    "dashboards": ["shared.api.dashboards:read_bp"],
    "serve_data": ["shared.api.data:bp"],
    "app": ["shared.api.web:bp"],
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
