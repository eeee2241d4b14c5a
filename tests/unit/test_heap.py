"""An instance freezes its warm-up objects out of the collector's full passes (shared.entry.heap)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
import requests
from testkit import LiveServer

from shared.bootstrap import Container
from shared.entry import heap


@pytest.fixture(autouse=True)
def fresh_heap() -> Iterator[None]:
    heap.reset()
    yield
    heap.reset()


def test_freezes_after_the_first_units_of_work_at_powers_of_two_then_stops() -> None:
    froze = [n for n in range(1, 200) if heap.settle()]
    assert froze == [1, 2, 4, 8, 16, 32, 64]


def test_a_freeze_moves_the_objects_alive_now_into_the_permanent_generation() -> None:
    alive = [{} for _ in range(1_000)]
    assert gc.get_freeze_count() == 0
    assert heap.settle()
    assert gc.get_freeze_count() >= len(alive)
    assert not any(x is alive for x in gc.get_objects())  # a frozen object is out of every generation
    heap.reset()
    assert gc.get_freeze_count() == 0


def test_each_http_request_counts_so_the_first_one_freezes(dev_server: LiveServer) -> None:
    heap.reset()
    assert requests.get(f"{dev_server.url}/healthz", timeout=10).status_code == 200
    assert gc.get_freeze_count() > 0  # the request's teardown froze what serving it loaded
    assert requests.get(f"{dev_server.url}/nope", timeout=10).status_code == 404
    assert not heap.settle()  # the 3rd unit: the 404 was the 2nd, so an error answer counts too


def test_a_local_queue_task_counts(container: Container) -> None:
    queue = container.task_queue
    queue.enqueue("agent_step", {"session_id": "cs_none", "turn_id": "tu_none", "step": 0})
    assert queue.join(30)  # type: ignore[attr-defined]
    assert gc.get_freeze_count() > 0
    assert heap.settle()  # the 2nd unit


def test_a_task_that_raises_counts_too() -> None:
    def boom(_payload: object) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        heap.settled(boom)({})
    assert gc.get_freeze_count() > 0
    assert heap.settle()  # the 2nd unit
