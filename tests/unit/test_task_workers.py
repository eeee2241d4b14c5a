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
