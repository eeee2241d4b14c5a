"""Flask app factory with Bridge's one JSON error shape, auth and body validation."""

from __future__ import annotations

import gzip
import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from shared.adapters.identity.port import Principal
from shared.entry import heap, input_guard
from shared.errors import (
    BadRequest,
    BridgeError,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
    for_status,
)

if TYPE_CHECKING:
    from shared.bootstrap import Container

log = logging.getLogger("bridge.http")
QUERY_TOKEN_ENDPOINTS = frozenset({"chat.events"})  # routes that accept ?access_token= (a stream token)
CONTAINER = "bridge.container"  # app.extensions key of the container the app serves


def error_response(err: BridgeError) -> Response:
    resp = jsonify(err.to_dict())
    resp.status_code = err.status
    return resp


def create_app(
    blueprints: Iterable[Blueprint], *, name: str = "bridge", container: Container | None = None
) -> Flask:
    """A Flask app serving ``blueprints`` over ``container`` (default: the process's) with Bridge's
    error handling and response compression."""
    if container is None:
        from shared.bootstrap import get_container

        container = get_container()
    app = Flask(name, static_folder=None)
    app.extensions[CONTAINER] = container
    app.config["MAX_CONTENT_LENGTH"] = container.settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    input_guard.install(app)  # before the blueprints: their <int:...> rules use the bounded converter
    for bp in blueprints:
        app.register_blueprint(bp)
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})

    @app.before_request
    def _no_token_in_query() -> None:
        # Request logs keep query strings: only the chat event stream takes a token there, and only
        # its own short-lived stream token (shared.entry.stream_token).
        if "access_token" in request.args and request.endpoint not in QUERY_TOKEN_ENDPOINTS:
            raise Unauthorized(
                "tokens are not accepted in the query string; send Authorization: Bearer <token>",
                details=[{"path": "access_token"}],
            )

    @app.errorhandler(BridgeError)
    def _bridge_error(err: BridgeError) -> Response:
        if err.status >= 500:
            log.error("request failed: %s %s: %s", request.method, request.path, err.code)
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        code = err.code or 500
        resp = error_response(for_status(code, err.description or err.name))
        if code == 405 and err.valid_methods:  # type: ignore[attr-defined]
            resp.headers["Allow"] = ", ".join(err.valid_methods)  # type: ignore[attr-defined]
        return resp

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        database = _database_error(err)
        if database is not None:
            return database
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(BridgeError("internal error; it has been logged"))

    app.after_request(_compress)

    @app.teardown_request
    def _settle(_exc: BaseException | None) -> None:
        heap.settle()  # an instance's warm-up objects leave the collector's full passes

    return app


def _database_error(err: Exception) -> Response | None:
    """SQLAlchemy's database errors: unavailable (503) or internal (500); None for any other error.

    SQLAlchemy is imported only by the paths that use the database through it (a cold cache hit
    does not), so an error can only be one of its errors once it is loaded.
    """
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is None or not isinstance(err, exc.DBAPIError):
        return None
    if err.connection_invalidated or isinstance(err, exc.OperationalError | exc.InterfaceError):
        log.warning(
            "database unavailable on %s %s: %s", request.method, request.path, type(err.orig).__name__
        )
        return error_response(Unavailable("the directory database is unavailable; retry shortly"))
    log.error("database error on %s %s: %s", request.method, request.path, type(err.orig).__name__)
    return error_response(BridgeError("internal error; it has been logged"))


def _compress(resp: Response) -> Response:
    if (
        resp.direct_passthrough
        or resp.is_streamed
        or resp.status_code < 200
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or "Content-Encoding" in resp.headers
        or not (resp.mimetype or "").startswith(("application/json", "text/", "application/javascript"))
    ):
        return resp
    body = resp.get_data()
    if len(body) < 1024:
        return resp
    resp.set_data(gzip.compress(body, compresslevel=5))
    resp.headers["Content-Encoding"] = "gzip"
    resp.headers["Content-Length"] = str(len(resp.get_data()))
    resp.vary.add("Accept-Encoding")
    return resp


def container() -> Container:
    """The container of the app serving this request."""
    c: Container = current_app.extensions[CONTAINER]
    return c


def bearer_token() -> str | None:
    """The request's bearer token (``Authorization: Bearer <token>``), not yet verified."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def principal() -> Principal:
    """The authenticated caller (``Authorization: Bearer <token>``); 401 otherwise."""
    cached = g.get("principal")
    if cached is not None:
        return cached
    token = bearer_token()
    if token is None:
        raise Unauthorized("missing bearer token")
    p = container().identity.verify(token)
    g.principal = p
    return p


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON object, validated against ``schema`` (400 with field paths otherwise)."""
    if not request.is_json:
        raise UnsupportedMediaType("expected Content-Type: application/json")
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise BadRequest(f"JSON nests deeper than {input_guard.MAX_JSON_DEPTH} levels") from None
    if data is None:
        raise BadRequest("request body is not valid JSON")
    input_guard.check_json(data)
    check(data, schema)
    return data


def check(data: Any, schema: dict[str, Any]) -> None:
    """Validate ``data`` against a JSON Schema, raising ValidationFailed listing every problem."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        details = [
            {"path": ".".join(str(p) for p in e.absolute_path) or "$", "message": e.message} for e in errors
        ]
        raise ValidationFailed(
            f"invalid request: {details[0]['path']}: {details[0]['message']}", details=details
        )


def obj(properties: dict[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    """A strict JSON Schema object (unknown fields rejected)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }
