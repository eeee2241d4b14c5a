"""The tool registry: JSON-Schema-checked tools whose failures become results, never exceptions.

A tool is a function ``fn(ctx, **arguments)`` returning JSON or a typed
:class:`~shared.adapters.model.protocol.Result` (whose JSON Schema is then the tool's result
schema). :meth:`ToolRegistry.call` validates the arguments before running it, turns unknown tools, invalid arguments and any error the tool
raises into a :class:`ToolOutcome` with an ``error`` the model can read and act on, and checks
the result against the tool's result schema.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.model.messages import ToolCall, ToolResultMessage, ToolSpec
from shared.adapters.model.protocol import Result
from shared.errors import BridgeError, Conflict, ValidationFailed

log = logging.getLogger(__name__)

JSON = Any
ToolFn = Callable[..., JSON]
TOOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # accepted by Gemini and OpenAI alike


@dataclass(frozen=True)
class ToolError:
    code: str
    message: str
    details: JSON = None

    def to_dict(self) -> dict[str, JSON]:
        body: dict[str, JSON] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool call produced: ``result`` when ``ok``, else ``error``."""

    ok: bool
    result: JSON = None
    error: ToolError | None = None

    def to_message(self, call: ToolCall) -> ToolResultMessage:
        """The tool-result message answering ``call``."""
        if self.error is not None:
            return ToolResultMessage(call.id, call.name, error=self.error.to_dict())
        return ToolResultMessage(call.id, call.name, result=self.result)

    def to_dict(self) -> dict[str, JSON]:
        if self.error is not None:
            return {"ok": False, "error": self.error.to_dict()}
        return {"ok": True, "result": self.result}


@dataclass(frozen=True)
class Tool:
    """A callable the model may use. ``parameters`` and ``result`` are JSON Schemas."""

    name: str
    description: str
    parameters: dict[str, JSON]
    fn: ToolFn
    result: dict[str, JSON] = field(default_factory=dict)
    model: type[Result] | None = None  # the Result model ``result`` was generated from, if any

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, self.parameters)


def tool(
    name: str,
    description: str,
    parameters: dict[str, JSON],
    result: dict[str, JSON] | type[Result] | None = None,
) -> Callable[[ToolFn], Tool]:
    """Decorator turning ``fn(ctx, **arguments)`` into a :class:`Tool`; ``result`` is a JSON Schema
    or the :class:`Result` model the function returns."""

    def wrap(fn: ToolFn) -> Tool:
        if isinstance(result, type):
            return Tool(name, description, parameters, fn, result.model_json_schema(by_alias=True), result)
        return Tool(name, description, parameters, fn, result or {})

    return wrap


def _schema_errors(validator: Any, instance: JSON) -> list[dict[str, JSON]]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [{"path": "/" + "/".join(str(p) for p in e.absolute_path), "message": e.message} for e in errors]


class ToolRegistry:
    """The tools of one agent, keyed by name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._validators: dict[str, tuple[Any, Any]] = {}
        for item in tools:
            self.register(item)

    def register(self, item: Tool) -> Tool:
        """Add ``item``; ValidationFailed for a bad name or schema, Conflict for a duplicate name."""
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        if not TOOL_NAME.match(item.name):
            raise ValidationFailed(f"tool name {item.name!r} must match {TOOL_NAME.pattern}")
        if item.name in self._tools:
            raise Conflict(f"tool {item.name!r} is already registered")
        if item.parameters.get("type") != "object":
            raise ValidationFailed(f"tool {item.name!r}: parameters must be an object schema")
        try:
            Draft202012Validator.check_schema(item.parameters)
            Draft202012Validator.check_schema(item.result)
        except SchemaError as exc:
            raise ValidationFailed(f"tool {item.name!r} has an invalid schema: {exc.message}") from exc
        self._tools[item.name] = item
        self._validators[item.name] = (
            Draft202012Validator(item.parameters),
            Draft202012Validator(item.result),
        )
        return item

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def names(self) -> list[str]:
        return sorted(self._tools)

    def specs(self) -> list[ToolSpec]:
        """Tool specs sorted by name, so the model's tool prefix is stable."""
        return [self._tools[name].spec() for name in self.names()]

    def call(self, name: str, arguments: JSON, ctx: Any) -> ToolOutcome:
        """Run tool ``name``; every failure is returned as an error outcome, never raised."""
        item = self._tools.get(name)
        if item is None:
            return ToolOutcome(
                False,
                error=ToolError("unknown_tool", f"there is no tool {name!r}", {"known": self.names()}),
            )
        arguments_check, result_check = self._validators[name]
        problems = _schema_errors(arguments_check, arguments)
        if problems:
            return ToolOutcome(
                False, error=ToolError("validation_failed", f"invalid arguments for {name}", problems)
            )
        try:
            result = item.fn(ctx, **arguments)
            # an instance of the model the schema was generated from was validated when it was built
            checked = item.model is not None and type(result) is item.model
            if isinstance(result, Result):
                result = result.to_json()
        except BridgeError as exc:
            return ToolOutcome(False, error=ToolError(exc.code, exc.message, exc.details))
        except Exception:
            log.exception("tool %s failed", name)
            return ToolOutcome(False, error=ToolError("internal", f"tool {name} failed unexpectedly"))
        problems = [] if checked else _schema_errors(result_check, result)
        if problems:
            log.error("tool %s returned a result outside its schema: %s", name, problems)
            return ToolOutcome(
                False, error=ToolError("internal", f"tool {name} returned an invalid result", problems)
            )
        return ToolOutcome(True, result=result)

    def run(self, call: ToolCall, ctx: Any) -> ToolResultMessage:
        """Run a model's tool call and answer it with a tool-result message."""
        return self.call(call.name, call.arguments, ctx).to_message(call)
