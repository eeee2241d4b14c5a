"""Task handlers by name: the same functions the Cloud Tasks HTTP target calls."""

from __future__ import annotations

from typing import Any

from shared.adapters.tasks.port import TaskHandler, TaskQueue

HANDLERS: dict[str, str] = {
    # name -> "module:function"; imported when the first task runs
    "precompute": "shared.services.precompute:handle_task",
    "agent_step": "shared.agent.runner:handle_task",
}


def resolve(name: str) -> TaskHandler:
    import importlib

    module, _, attr = HANDLERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def register_all(queue: TaskQueue) -> None:
    """Register every handler on an in-process queue (lazily resolved)."""
    for name in HANDLERS:
        queue.register(name, _lazy(name))


def _lazy(name: str) -> TaskHandler:
    def run(payload: dict[str, Any]) -> None:
        resolve(name)(payload)

    return run
