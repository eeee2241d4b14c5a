"""The task queue port: at-least-once, named (deduplicated) tasks dispatched to handlers by name.

Handlers are the same functions the Cloud Tasks HTTP target calls (``POST /tasks/{handler}``).
A handler must be idempotent; raising makes the queue retry it with backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

TaskHandler = Callable[[dict[str, Any]], None]


class TaskQueue(Protocol):
    def register(self, handler: str, fn: TaskHandler) -> None: ...

    def enqueue(
        self, handler: str, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0
    ) -> bool:
        """Schedule ``handler(payload)``. Returns False when a task with ``name`` already exists."""
        ...
