"""Task processes: chat steps and warm-ups run in spawned children; the parent keeps dedup and wake-ups.

Real child processes build their own container from the same settings (SQLite file or PostgreSQL,
the object store folder, the demo DuckDB) and run the real handlers; the parent's queue, its
event-stream wake-ups and its serving read what they wrote.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from multiprocessing import Pipe
from pathlib import Path

import pytest
from doubles.generation import DashboardGenerationService, create_session
from testkit import make_container

from shared.adapters.identity.port import Principal
from shared.adapters.tasks.inprocess import InProcessTaskQueue
from shared.adapters.tasks.processes import ParentQueue, TaskProcesses
from shared.bootstrap import Container, set_container
from shared.dev.seed import DEMO_EMAIL
from shared.dev.server import prepare
from shared.errors import BadRequest, NotFound
from shared.services.serving.service import dashboard_data

USER = Principal(DEMO_EMAIL, DEMO_EMAIL)


@pytest.fixture
def spawned(tmp_path: Path, db_url: str, demo_warehouse: Path) -> Iterator[tuple[Container, str, str]]:
    c = make_container(tmp_path / "data", db_url, demo_warehouse, task_processes=2)
    set_container(c)
    try:
        team_id, connection_id = prepare(c)
        yield c, team_id, connection_id
    finally:
        set_container(None)
        c.task_queue.close()  # type: ignore[attr-defined]
        c.db.engine.dispose()


def queue_of(c: Container) -> InProcessTaskQueue:
    queue = c.task_queue
    assert isinstance(queue, InProcessTaskQueue) and queue.processes is not None
    return queue


def test_a_turn_runs_in_the_children_and_wakes_the_parents_stream(spawned) -> None:
    c, team_id, connection_id = spawned
    queue = queue_of(c)
    assert queue.processes is not None
    pids = queue.processes.pids
    assert len(pids) == 2 and os.getpid() not in pids
    session = create_session(c, USER, team_id, connection_id)
    service = DashboardGenerationService(c, timeout_s=180)
    with c.db.wakeup.watch(session) as watch:
        seen = watch.version
        turn = service.start(session, "revenue by month", user=USER)
        assert watch.wait(seen, 120), "a child's commit did not wake the parent's stream"
    result = service.wait(session, turn)
    assert result.status == "done" and result.dashboard_slug, result.message
    assert c._models == {}, "the parent ran a model: the steps did not run in the children"
    assert queue.join(60) and queue.dead == []
    # the save's warm-up ran in a child; its results were in the shared cache when it finished
    with c.db.read() as s:
        data = dashboard_data(c, s, USER, team_id, result.dashboard_slug, {})
    assert data["views"] and {v["cache"] for v in data["views"]} == {"hit"}


def test_a_child_that_dies_is_spawned_again_and_the_work_still_finishes(spawned) -> None:
    c, team_id, connection_id = spawned
    processes = queue_of(c).processes
    assert processes is not None
    for pid in processes.pids:
        os.kill(pid, signal.SIGKILL)
    session = create_session(c, USER, team_id, connection_id)
    result = DashboardGenerationService(c, timeout_s=180).generate(session, "orders by status", user=USER)
    assert result.status == "done", result.message
    assert processes.spawned >= 3 and len(processes.pids) == 2


def test_a_childs_enqueue_is_answered_by_the_parents_queue() -> None:
    woken: list[list[str]] = []
    ran: list[dict] = []
    with InProcessTaskQueue(workers=1) as queue:
        queue.register("step", ran.append)
        parent_end, child_end = Pipe()
        server = TaskProcesses.__new__(TaskProcesses)
        server._wake, server._enqueue, server._sticky = woken.append, queue.enqueue, frozenset({"step"})
        reader = threading.Thread(target=server._serve, args=(0, parent_end), daemon=True)
        reader.start()
        child = ParentQueue(child_end)
        assert child.enqueue("step", {"n": 1}, name="turn-1-step-0") is True
        assert child.enqueue("step", {"n": 1}, name="turn-1-step-0") is False  # dedup is the parent's
        with pytest.raises(NotFound) as missing:
            child.enqueue("nope", {})
        assert missing.value.details == {"handler": "nope"}
        with pytest.raises(BadRequest):
            child.enqueue("step", {}, delay_s=-1)
        child.wake(["s1", "s2"])
        assert queue.join(10) and ran == [{"n": 1}]
        queue.register("warm", ran.append)
        child.enqueue("step", {"n": 2}, delay_s=60)
        child.enqueue("warm", {"n": 3}, delay_s=60)
        # the next step waits for the child's own worker (0); a warm-up goes to any worker
        assert {task.handler: task.worker for task in queue._heap} == {"step": 0, "warm": None}
        child_end.close()
        reader.join(10)
        assert not reader.is_alive() and woken == [["s1", "s2"]]


def test_a_model_installed_on_the_parent_is_refused(spawned) -> None:
    from shared.adapters.model.offline.model import OfflinePlanner
    from shared.errors import Conflict

    c, _, _ = spawned
    with pytest.raises(Conflict):
        c.install_model(OfflinePlanner())


def test_a_child_imports_what_a_first_step_needs_before_its_first_task(
    tmp_path: Path, db_url: str, demo_warehouse: Path
) -> None:
    """The first chat step of a fresh process does not wait ~0.4 s for imports: the child has
    loaded DuckDB's extension module (one of them) while it waited, before any task reached it."""
    import time

    c = make_container(tmp_path / "data", db_url, demo_warehouse, task_processes=1)
    try:
        queue = queue_of(c)
        assert queue.processes is not None
        [pid] = queue.processes.pids
        deadline = time.monotonic() + 30
        loaded = False
        while not loaded and time.monotonic() < deadline:
            loaded = "_duckdb" in Path(f"/proc/{pid}/maps").read_text()
            time.sleep(0.2)
        assert loaded, "the task process had not imported duckdb 30 s after it was spawned"
        assert queue.processes.spawned == 1  # no task ran: the same, first child
    finally:
        c.task_queue.close()  # type: ignore[attr-defined]
        c.db.engine.dispose()
