"""Task handlers by name: what the in-process queue runs and the Cloud Tasks target calls.

The composition root registers :func:`task_handlers` on its queue; ``POST /tasks/<name>``
(:mod:`shared.entry.routes.tasks`) runs the same functions. Each handler imports its module on
first use, so a function that never runs a task never imports the agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.adapters.tasks.port import TaskHandler

if TYPE_CHECKING:
    from shared.bootstrap import Container

TASKS = ("agent_step", "precompute")


def task_handlers(c: Container) -> dict[str, TaskHandler]:
    """Every task handler, bound to the instance's container."""

    def agent_step(payload: dict[str, Any]) -> None:
        from shared.agent import runner

        runner.handle_task(c, payload)

    def precompute(payload: dict[str, Any]) -> None:
        from shared.services import precompute

        precompute.handle_task(c, payload)

    handlers: dict[str, TaskHandler] = {"agent_step": agent_step, "precompute": precompute}
    assert tuple(handlers) == TASKS
    return handlers
