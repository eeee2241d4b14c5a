"""Entry point glue: a Cloud Function hands its request to the function's Flask app."""

from __future__ import annotations

from typing import Any

from flask import Request


def serve(function: str, request: Request) -> Any:
    """Dispatch ``request`` through ``function``'s app (routing, auth, errors, compression)."""
    from shared.entry.functions import function_app

    app = function_app(function)
    with app.request_context(request.environ):
        return app.full_dispatch_request()
