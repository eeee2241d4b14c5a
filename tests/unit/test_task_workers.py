"""The in-process queue runs as many tasks side by side as it has workers, sized from the machine."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from shared.adapters.tasks.inprocess import InProcessTaskQueue, default_workers
from shared.bootstrap import Container
from shared.settings import Settings


def test_default_workers_follow_the_cpu_count() -> None:
    assert [default_workers(n) for n in (0, 1, 2, 3, 4, 16)] == [2, 2, 4, 6, 8, 8]


def run_together(queue: InProcessTaskQueue, n: int) -> bool:
    """True when ``n`` tasks were running at the same time (each waits for all the others)."""
    barrier = threading.Barrier(n, timeout=30)
    met: list[bool] = []

    def handler(payload: dict) -> None:
        try:
            barrier.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            met.append(False)

    queue.register("meet", handler)
    for i in range(n):
        queue.enqueue("meet", {"i": i})
    assert queue.join(60)
    return all(met) and len(met) == n


@pytest.mark.parametrize("workers", [3, 5])
def test_the_setting_sizes_the_local_queue(tmp_path: Path, workers: int) -> None:
    c = Container(Settings(data_dir=tmp_path, task_workers=workers, auth_secret="w" * 40))
    queue = c.task_queue
    assert isinstance(queue, InProcessTaskQueue)
    try:
        assert run_together(queue, workers)
        assert len(queue._threads) == workers
    finally:
        queue.close()


def test_the_default_runs_one_task_per_worker_at_once(tmp_path: Path) -> None:
    with InProcessTaskQueue() as queue:
        assert len(queue._threads) == default_workers() >= 2
        assert run_together(queue, default_workers())


def test_default_task_processes_follow_the_cpu_count() -> None:
    from shared.adapters.tasks.processes import default_task_processes

    assert [default_task_processes(n) for n in (0, 1, 2, 3, 16)] == [2, 2, 4, 4, 4]


def test_the_dev_server_runs_task_processes_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.adapters.tasks.processes import default_task_processes
    from shared.dev.server import dev_container
    from shared.settings import get_settings

    monkeypatch.delenv("BRIDGE_TASK_PROCESSES", raising=False)
    get_settings.cache_clear()
    try:
        assert dev_container().settings.task_processes == default_task_processes()
        assert dev_container(0).settings.task_processes == 0
        monkeypatch.setenv("BRIDGE_TASK_PROCESSES", "0")  # the variable, when set, is what it says
        get_settings.cache_clear()
        assert dev_container().settings.task_processes == 0
        assert dev_container(3).settings.task_processes == 3
    finally:
        get_settings.cache_clear()


def test_a_worker_takes_its_own_next_step_before_an_earlier_task_for_anyone() -> None:
    """A save's warm-up, enqueued during a step, does not run ahead of that session's next step."""
    release = threading.Event()
    order: list[str] = []

    def hold(payload: dict) -> None:
        release.wait(30)

    def record(payload: dict) -> None:
        order.append(payload["id"])

    with InProcessTaskQueue(workers=1) as queue:
        queue.register("hold", hold)
        queue.register("record", record)
        queue.enqueue("hold", {})
        queue.enqueue("record", {"id": "warm-up"})  # for any worker, and first in line
        queue.enqueue("record", {"id": "next step"}, worker=0)
        release.set()
        assert queue.join(10)
    assert order == ["next step", "warm-up"]


def test_a_task_waits_briefly_for_the_worker_it_names_then_any_worker_takes_it() -> None:
    from shared.adapters.tasks import inprocess

    release = threading.Event()
    ran: dict[str, str] = {}
    done = threading.Event()

    def hold(payload: dict) -> None:
        ran["hold"] = threading.current_thread().name
        release.wait(30)

    def step(payload: dict) -> None:
        ran[payload["id"]] = threading.current_thread().name
        done.set()

    with InProcessTaskQueue(workers=2) as queue:
        queue.register("hold", hold)
        queue.register("step", step)
        queue.enqueue("hold", {})
        while "hold" not in ran:
            threading.Event().wait(0.005)
        holder = int(ran["hold"].rsplit("-", 1)[1])
        queue.enqueue("step", {"id": "sticky"}, worker=holder)
        assert not done.wait(inprocess.AFFINITY_S / 2)  # the free worker leaves it to its worker
        release.set()
        assert done.wait(10) and ran["sticky"] == ran["hold"]
        assert queue.join(10)

        release.clear()
        done.clear()
        ran.clear()
        queue.enqueue("hold", {})
        while "hold" not in ran:
            threading.Event().wait(0.005)
        holder = int(ran["hold"].rsplit("-", 1)[1])
        queue.enqueue("step", {"id": "stolen"}, worker=holder)  # its worker stays busy: another takes it
        assert done.wait(10) and ran["stolen"] != ran["hold"]
        release.set()
        assert queue.join(10)
