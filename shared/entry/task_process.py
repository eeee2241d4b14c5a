"""A task process's main: its own container, the commands of the queue worker that spawned it.

:class:`~shared.adapters.tasks.processes.TaskProcesses` spawns it (``BRIDGE_TASK_PROCESSES``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from shared.adapters.tasks.processes import ParentQueue
from shared.errors import RetryLater

if TYPE_CHECKING:
    from shared.bootstrap import Container
    from shared.settings import Settings

log = logging.getLogger(__name__)


def child_main(settings: Settings, commands: Connection, requests: Connection) -> None:
    """A task process: build a container, then run the commands of the worker that owns it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which stops its children
    from shared.bootstrap import Container
    from shared.entry.heap import settled
    from shared.entry.task_handlers import task_handlers

    queue = ParentQueue(requests)
    c = Container(settings.replace(task_processes=0), task_queue=queue)
    c.db.wakeup.forward = queue.wake
    if settings.object_store == "local":
        from shared.entry.local_events import wire_local_events

        wire_local_events(c)  # a dashboard saved here reaches precompute as a finalize event would
    handlers = {name: settled(fn) for name, fn in task_handlers(c).items()}
    from shared.agent import runner  # noqa: F401  (imported before the first step, not during it)
    from shared.services import precompute  # noqa: F401

    preload(c)

    log.debug("task process %d ready", os.getpid())
    while True:
        try:
            kind, handler, body = commands.recv()
        except (EOFError, OSError):
            return
        if kind == "stop":
            return
        commands.send(_outcome(c, handlers[handler], handler, body))


# What a first chat step imports (~0.4 s of a 2-core machine) beyond the tool registry, which
# preload builds too; imported while the process waits for its first task: the search index
# library, team knowledge, the prompts, the dashboard loader, compiler and artifact, the local
# warehouse and the SQL dialects.
PRELOAD = (
    "bm25s",
    "shared.agent.prompts",
    "shared.knowledge.retrieve",
    "shared.knowledge.validate",
    "shared.dashboards.validate",
    "shared.dashboards.compile",
    "shared.dashboards.params",
    "shared.dashboards.artifact",
    "shared.adapters.warehouse.duckdb_adapter",
    "sqlglot.dialects.duckdb",
    "sqlglot.dialects.bigquery",
)


def preload(c: Container) -> None:
    """Import :data:`PRELOAD` (and the offline planner when it is the model) and build the tools."""
    import importlib

    offline = ["shared.adapters.model.offline.model"] if c.settings.model == "offline" else []
    for name in [*PRELOAD, *offline]:
        importlib.import_module(name)
    c.tools  # noqa: B018  (the registry: every tool module imported, every schema built)


def _outcome(c: Container, fn: Callable[[dict[str, Any]], None], handler: str, body: str) -> tuple[str, str]:
    """Run one task; what it cached is in the shared store before the parent hears it is done."""
    try:
        fn(json.loads(body))
        if c.data_service_built:
            c.data_service.cache.flush()
    except RetryLater as e:
        return ("retry", e.message)
    except Exception as e:
        return ("fail", f"{handler} failed in task process {os.getpid()}: {e!r}")
    return ("ok", "")
