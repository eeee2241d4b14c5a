"""A task queue run by background threads: named-task dedup, retries with backoff, a dead list."""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.adapters.tasks.naming import validate_task_name
from shared.adapters.tasks.port import TaskHandler
from shared.errors import BadRequest, Conflict, NotFound, RetryLater, Unavailable

if TYPE_CHECKING:
    from shared.adapters.tasks.processes import TaskProcesses

log = logging.getLogger(__name__)

_HANDLER_NAME = re.compile(r"[A-Za-z0-9_-]+")
AFFINITY_S = 0.05  # how long a task process's next step waits for it before any worker takes it


def default_workers(cpus: int | None = None) -> int:
    """Worker threads for this machine: 2 per CPU (a step mostly waits on the model, the warehouse
    or the disk), never fewer than the 2 it always had, at most 8 (one SQLite writer at a time)."""
    count = os.cpu_count() if cpus is None else cpus
    return max(2, min(8, 2 * (count or 1)))


@dataclass(frozen=True)
class DeadTask:
    """A task that failed ``attempts`` times and will not run again."""

    handler: str
    payload: dict[str, Any]
    name: str | None
    attempts: int
    error: str


@dataclass(order=True)
class _Task:
    due: float
    seq: int
    handler: str = field(compare=False)
    body: str = field(compare=False)  # the payload as JSON, exactly what Cloud Tasks would deliver
    name: str | None = field(compare=False)
    attempts: int = field(default=0, compare=False)
    worker: int | None = field(default=None, compare=False)  # the worker it waits for, at first


class InProcessTaskQueue:
    """:class:`~shared.adapters.tasks.port.TaskQueue` on worker threads; delivers at least once, like Cloud Tasks.

    ``workers`` threads run tasks side by side (default :func:`default_workers`). With
    ``processes``, each worker thread hands its tasks to a child process of its own
    (:mod:`shared.adapters.tasks.processes`); dedup, retries and the dead list stay here.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        max_attempts: int = 5,
        base_backoff_s: float = 0.05,
        max_backoff_s: float = 2.0,
        processes: TaskProcesses | None = None,
    ) -> None:
        workers = default_workers() if workers is None else workers
        if workers < 1 or max_attempts < 1 or base_backoff_s < 0 or max_backoff_s < base_backoff_s:
            raise BadRequest("need workers >= 1, max_attempts >= 1 and 0 <= base_backoff_s <= max_backoff_s")
        self.max_attempts = max_attempts
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self._handlers: dict[str, TaskHandler] = {}
        self._names: set[str] = set()
        self._heap: list[_Task] = []
        self._seq = itertools.count()
        self._running = 0
        self._closed = False
        self._dead: list[DeadTask] = []
        self._cond = threading.Condition()
        self.processes = processes
        if processes is not None:
            processes.start(workers, self.enqueue)
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"bridge-task-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def register(self, handler: str, fn: TaskHandler) -> None:
        """Route tasks for ``handler`` to ``fn``; re-registering another function is a Conflict."""
        if not isinstance(handler, str) or not _HANDLER_NAME.fullmatch(handler):
            raise BadRequest(
                f"invalid handler name {handler!r}: use [A-Za-z0-9_-]", details={"handler": handler}
            )
        with self._cond:
            current = self._handlers.get(handler)
            if current is not None and current is not fn:
                raise Conflict(f"handler {handler!r} is already registered", details={"handler": handler})
            self._handlers[handler] = fn

    def enqueue(
        self,
        handler: str,
        payload: dict[str, Any],
        *,
        name: str | None = None,
        delay_s: float = 0.0,
        worker: int | None = None,
    ) -> bool:
        """Schedule ``handler(payload)`` after ``delay_s``; False when ``name`` was already used.

        ``worker`` (a task process's own next step): for :data:`AFFINITY_S` after it is due only
        that worker takes it, so a session's steps stay on the process that holds its caches.
        """
        if not isinstance(payload, dict):
            raise BadRequest("task payload must be a JSON object", details={"handler": handler})
        try:
            body = json.dumps(payload, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise BadRequest(
                f"task payload is not JSON-serializable: {e}", details={"handler": handler}
            ) from e
        if name is not None:
            validate_task_name(name)
        if delay_s < 0:
            raise BadRequest("delay_s must not be negative", details={"delay_s": delay_s})
        with self._cond:
            if self._closed:
                raise Unavailable("the task queue is closed")
            if handler not in self._handlers:
                raise NotFound(f"no task handler named {handler!r}", details={"handler": handler})
            if name is not None:
                if name in self._names:
                    return False
                self._names.add(name)
            heapq.heappush(
                self._heap,
                _Task(time.monotonic() + delay_s, next(self._seq), handler, body, name, worker=worker),
            )
            self._cond.notify()
        return True

    @property
    def dead(self) -> list[DeadTask]:
        """Tasks that exhausted their attempts, oldest first."""
        with self._cond:
            return list(self._dead)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until no task is due, delayed, retrying or running; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and not self._running, timeout)

    def close(self) -> None:
        """Stop the workers after their current task; tasks still queued are dropped."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()
        if self.processes is not None:
            self.processes.close()

    def __enter__(self) -> InProcessTaskQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self, worker: int) -> None:
        while (task := self._next(worker)) is not None:
            error = self._run(worker, task)
            with self._cond:
                self._running -= 1
                if error is not None:
                    self._after_failure(task, error)
                self._cond.notify_all()

    def _next(self, worker: int) -> _Task | None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                task, ready = self._pick(worker, now)
                if task is not None:
                    self._running += 1
                    return task
                self._cond.wait(ready - now if ready is not None else None)
            return None

    def _pick(self, worker: int, now: float) -> tuple[_Task | None, float | None]:
        """The task ``worker`` may take now (removed), else when one may be taken.

        Its own due steps come first, earliest first: a save's warm-up enqueued during a step
        would otherwise take the worker ahead of that session's next step, which then waits.
        Then the earliest other task it may take.
        """
        if self._heap and self._heap[0].due <= now and self._heap[0].worker == worker:
            return heapq.heappop(self._heap), None
        best: int | None = None
        ready: float | None = None
        for i, task in enumerate(self._heap):
            at = task.due if task.worker in (None, worker) else task.due + AFFINITY_S
            if at <= now and (best is None or self._before(task, self._heap[best], worker)):
                best = i
            ready = at if ready is None else min(ready, at)
        if best is None:
            return None, ready
        task = self._heap.pop(best)
        heapq.heapify(self._heap)
        return task, None

    @staticmethod
    def _before(task: _Task, other: _Task, worker: int) -> bool:
        if (task.worker == worker) != (other.worker == worker):
            return task.worker == worker
        return task < other

    def _run(self, worker: int, task: _Task) -> Exception | None:
        task.attempts += 1
        try:
            if self.processes is not None:
                self.processes.run(worker, task.handler, task.body)
            else:
                self._handlers[task.handler](json.loads(task.body))
        except RetryLater as e:  # expected: e.g. the cache warm-up waits for a save to commit
            log.info(
                "task %s (%s) will run again (attempt %d): %s", task.name, task.handler, task.attempts, e
            )
            return e
        except Exception as e:
            log.warning("task %s (%s) attempt %d failed: %r", task.name, task.handler, task.attempts, e)
            return e
        return None

    def _after_failure(self, task: _Task, error: Exception) -> None:
        if task.attempts >= self.max_attempts:
            log.error(
                "task %s (%s) is dead after %d attempts: %r", task.name, task.handler, task.attempts, error
            )
            self._dead.append(
                DeadTask(task.handler, json.loads(task.body), task.name, task.attempts, repr(error))
            )
            return
        task.due = time.monotonic() + self.backoff_s(task.attempts)
        task.seq = next(self._seq)
        task.worker = None  # a retry goes to whichever worker is free
        heapq.heappush(self._heap, task)

    def backoff_s(self, attempts: int) -> float:
        """Delay before the next try after ``attempts`` failures: exponential, capped, half jittered."""
        ceiling = min(self.max_backoff_s, self.base_backoff_s * 2 ** min(attempts - 1, 32))
        return ceiling / 2 + random.uniform(0, ceiling / 2)
