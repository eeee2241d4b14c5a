"""Task handlers run in child processes: the in-process queue's steps side by side on every core.

A chat step is mostly Python (the offline planner, sqlglot, YAML, jsonschema), so worker threads
share one core under the GIL. With ``task_processes`` set, each of the queue's worker threads owns
one spawned child (:mod:`shared.entry.task_process`) that builds its own container from the same
settings and runs the handlers there. The parent keeps what must be one per instance:

* the queue itself (named-task dedup, retries, the dead list): a child's ``enqueue`` is a request
  on its pipe that the parent's queue answers;
* the event streams' wake-ups: a child forwards the keys its commits marked to the parent's
  :class:`~shared.db.wakeup.Wakeup` (on PostgreSQL its ``pg_notify`` arrives too).

Two pipes per child: *commands* (parent → child ``run``/``stop``, child → parent the outcome), used
only by the worker thread that owns the child, and *requests* (child → parent ``enqueue``/``wake``,
parent → child the enqueue's answer), served by one reader thread per child. A child that dies
fails its task (the queue retries it, at least once as always) and is spawned again for the next.
A task of a *sticky* handler (the agent's next step) that a child enqueues waits
:data:`~shared.adapters.tasks.inprocess.AFFINITY_S` for that child's worker, so a session's steps
stay with the process holding its caches; other tasks (a save's warm-up) go to any free worker.
Children are spawned, never forked (the parent has threads); as with any spawn, the main module
must be safe to import.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from shared import errors
from shared.errors import BridgeError, RetryLater, Unavailable

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from shared.settings import Settings

log = logging.getLogger(__name__)

Enqueue = Callable[..., bool]
Wake = Callable[[list[str]], None]
ChildMain = Callable[["Settings", Connection, Connection], None]
STOP_S = 5.0  # a child's time to finish after ``stop`` before it is terminated


def default_task_processes(cpus: int | None = None) -> int:
    """Task processes for this machine: 2 per CPU (a step also waits on fsync and SQLite's writer
    lock, so two keep a core busy), at least 2, at most 4 (each holds ~150 MB: the whole stack, imported)."""
    count = os.cpu_count() if cpus is None else cpus
    return max(2, min(4, 2 * (count or 1)))


@dataclass
class _Child:
    process: BaseProcess
    commands: Connection
    requests: Connection
    reader: threading.Thread


class TaskProcesses:
    """The children of one queue: ``run(worker, handler, body)`` runs a task in worker's child."""

    def __init__(
        self, settings: Settings, *, wake: Wake, child: ChildMain, sticky: frozenset[str] = frozenset()
    ) -> None:
        """``child(settings, commands, requests)`` is what each spawned process runs (importable by
        name); a task of a ``sticky`` handler a child enqueues waits for that child first."""
        self.settings = settings
        self._wake = wake
        self._sticky = sticky
        self._child_main = child
        self._enqueue: Enqueue | None = None
        self._children: dict[int, _Child] = {}
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")  # never fork a process that has threads
        self.spawned = 0

    def start(self, workers: int, enqueue: Enqueue) -> None:
        """Spawn one child per worker now, so they import while the first request is on its way."""
        self._enqueue = enqueue
        for worker in range(workers):
            self._child(worker)

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [c.process.pid for c in self._children.values() if c.process.pid is not None]

    def run(self, worker: int, handler: str, body: str) -> None:
        """Run ``handler`` on the JSON ``body`` in ``worker``'s child; raises what the queue retries."""
        child = self._child(worker)
        try:
            child.commands.send(("run", handler, body))
            outcome, message = child.commands.recv()
        except (EOFError, OSError) as e:
            self._drop(worker, child)
            raise Unavailable(f"the task process of worker {worker} exited during {handler}") from e
        if outcome == "retry":
            raise RetryLater(message)
        if outcome == "fail":
            raise Unavailable(message)

    def close(self) -> None:
        """Ask every child to stop, terminate any that do not within :data:`STOP_S`."""
        with self._lock:
            children, self._children = list(self._children.values()), {}
        for child in children:
            with suppress(OSError):
                child.commands.send(("stop", "", ""))
        for child in children:
            self._reap(child)

    def _child(self, worker: int) -> _Child:
        with self._lock:
            child = self._children.get(worker)
            if child is not None and child.process.is_alive():
                return child
            if child is not None:
                self._reap(child)
            commands, child_commands = self._context.Pipe()
            requests, child_requests = self._context.Pipe()
            process = self._context.Process(
                target=self._child_main,
                args=(self.settings, child_commands, child_requests),
                name=f"bridge-task-process-{worker}",
                daemon=True,
            )
            process.start()
            child_commands.close()
            child_requests.close()
            reader = threading.Thread(
                target=self._serve,
                args=(worker, requests),
                name=f"bridge-task-requests-{worker}",
                daemon=True,
            )
            reader.start()
            child = _Child(process, commands, requests, reader)
            self._children[worker] = child
            self.spawned += 1
            return child

    def _drop(self, worker: int, child: _Child) -> None:
        with self._lock:
            if self._children.get(worker) is child:
                del self._children[worker]
        self._reap(child)

    @staticmethod
    def _reap(child: _Child) -> None:
        """Wait :data:`STOP_S` for ``child`` to exit (terminate it after that), then for its reader
        (its pipe ended with the process), and close its pipes."""
        child.process.join(STOP_S)
        if child.process.is_alive():
            child.process.terminate()
            child.process.join(STOP_S)
        child.reader.join(STOP_S)
        child.commands.close()
        child.requests.close()

    def _serve(self, worker: int, requests: Connection) -> None:
        """Answer one child's requests until its pipe closes; what it enqueues waits for it first."""
        while True:
            try:
                request = requests.recv()
            except (EOFError, OSError):
                return
            kind = request[0]
            if kind == "wake":
                self._wake(request[1])
                continue
            _, handler, payload, name, delay_s = request
            try:
                assert self._enqueue is not None
                prefer = worker if handler in self._sticky else None
                queued = self._enqueue(handler, payload, name=name, delay_s=delay_s, worker=prefer)
                reply: tuple[Any, ...] = ("ok", queued)
            except BridgeError as e:
                reply = ("error", type(e).__name__, e.message, e.details)
            except Exception as e:  # pragma: no cover - the queue raises BridgeErrors only
                reply = ("error", "BridgeError", repr(e), None)
            try:
                requests.send(reply)
            except OSError:
                return


class ParentQueue:
    """A child's task queue: every enqueue is answered by the parent's queue (dedup lives there)."""

    def __init__(self, requests: Connection) -> None:
        self._requests = requests
        self._lock = threading.Lock()  # one request and its answer at a time, whatever thread asks

    def register(self, handler: str, fn: Any) -> None:
        """Handlers run where the commands arrive; the parent's queue knows their names."""

    def enqueue(
        self, handler: str, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0
    ) -> bool:
        with self._lock:
            self._requests.send(("enqueue", handler, payload, name, delay_s))
            reply = self._requests.recv()
        if reply[0] == "ok":
            return bool(reply[1])
        _, kind, message, details = reply
        error = getattr(errors, kind, BridgeError)
        raise error(message, details=details)

    def wake(self, keys: list[str]) -> None:
        """The parent's event streams for ``keys`` wake (their writes committed here)."""
        with self._lock:
            self._requests.send(("wake", list(keys)))
