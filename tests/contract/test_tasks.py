"""Task queue contract: every adapter in TASK_QUEUE_FACTORIES delivers named tasks to handlers.

Tests named ``test_local_*`` exercise the in-process queue only; ``test_task_name_*`` the naming.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from adapters import TASK_QUEUE_FACTORIES, QueueUnderTest, TaskQueueFactory

from shared.adapters.tasks.inprocess import InProcessTaskQueue
from shared.adapters.tasks.naming import task_name, validate_task_name
from shared.errors import BadRequest, NotFound, Unavailable

IDLE_TIMEOUT = 30.0


@pytest.fixture(params=TASK_QUEUE_FACTORIES)
def factory(request: pytest.FixtureRequest) -> TaskQueueFactory:
    factory: TaskQueueFactory = request.param
    return factory


@pytest.fixture
def q(factory: TaskQueueFactory, tmp_path: Path) -> Iterator[QueueUnderTest]:
    with factory(tmp_path) as under_test:
        yield under_test


class Recorder:
    """A handler that records every payload it receives, thread-safely."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, payload: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(payload)


def idle(q: QueueUnderTest) -> None:
    assert q.wait_idle(IDLE_TIMEOUT), "queue did not become idle"


def test_runs_the_registered_handler_with_the_payload(q: QueueUnderTest) -> None:
    record = Recorder()
    q.queue.register("record", record)

    assert q.queue.enqueue("record", {"turn": "t1", "step": 0}) is True
    idle(q)

    assert record.calls == [{"turn": "t1", "step": 0}]


def test_unknown_handler_is_not_found(q: QueueUnderTest) -> None:
    with pytest.raises(NotFound):
        q.queue.enqueue("nobody", {})


def test_a_named_task_runs_once_and_a_second_enqueue_returns_false(q: QueueUnderTest) -> None:
    record = Recorder()
    q.queue.register("record", record)
    name = task_name("turn", "t1", "step", "0")

    assert q.queue.enqueue("record", {"n": 1}, name=name) is True
    assert q.queue.enqueue("record", {"n": 2}, name=name) is False
    idle(q)
    assert q.queue.enqueue("record", {"n": 3}, name=name) is False  # still deduplicated after it ran
    idle(q)

    assert record.calls == [{"n": 1}]


def test_unnamed_tasks_are_never_deduplicated(q: QueueUnderTest) -> None:
    record = Recorder()
    q.queue.register("record", record)

    assert q.queue.enqueue("record", {"n": 1}) is True
    assert q.queue.enqueue("record", {"n": 1}) is True
    idle(q)

    assert record.calls == [{"n": 1}, {"n": 1}]


def test_a_failing_task_is_retried_until_it_succeeds(q: QueueUnderTest) -> None:
    attempts: list[dict[str, Any]] = []

    def flaky(payload: dict[str, Any]) -> None:
        attempts.append(payload)
        if len(attempts) < 3:
            raise RuntimeError("transient")

    q.queue.register("flaky", flaky)
    q.queue.enqueue("flaky", {"id": "x"}, name="flaky-x")
    idle(q)

    assert attempts == [{"id": "x"}] * 3
    assert q.dead_names() == []


def test_a_task_that_keeps_failing_gives_up_after_max_attempts(
    factory: TaskQueueFactory, tmp_path: Path
) -> None:
    calls: list[int] = []

    def broken(payload: dict[str, Any]) -> None:
        calls.append(1)
        raise RuntimeError("permanent")

    with factory(tmp_path, max_attempts=3) as q:
        q.queue.register("broken", broken)
        q.queue.enqueue("broken", {}, name="doomed")
        idle(q)

        assert len(calls) == 3
        assert q.dead_names() == ["doomed"]


def test_handlers_can_chain_further_tasks(q: QueueUnderTest) -> None:
    steps: list[int] = []

    def step(payload: dict[str, Any]) -> None:
        steps.append(payload["step"])
        if payload["step"] < 4:
            nxt = payload["step"] + 1
            q.queue.enqueue("step", {"step": nxt}, name=task_name("turn", "t1", str(nxt)))

    q.queue.register("step", step)
    q.queue.enqueue("step", {"step": 0}, name=task_name("turn", "t1", "0"))
    idle(q)

    assert steps == [0, 1, 2, 3, 4]


def test_a_delayed_task_runs_after_its_delay_and_after_an_immediate_one(q: QueueUnderTest) -> None:
    runs: list[tuple[str, float]] = []

    def mark(payload: dict[str, Any]) -> None:
        runs.append((payload["label"], time.monotonic()))

    q.queue.register("mark", mark)
    enqueued_at = time.monotonic()
    q.queue.enqueue("mark", {"label": "later"}, delay_s=1.5)
    q.queue.enqueue("mark", {"label": "now"})
    idle(q)

    assert [label for label, _ in runs] == ["now", "later"]
    assert runs[1][1] >= enqueued_at + 1.5


def test_the_payload_arrives_as_json_would_deliver_it(q: QueueUnderTest) -> None:
    record = Recorder()
    q.queue.register("record", record)

    q.queue.enqueue("record", {"tuple": (1, 2), "nested": {"x": 1.5, "none": None}, "text": "Zürich"})
    idle(q)

    assert record.calls == [{"tuple": [1, 2], "nested": {"x": 1.5, "none": None}, "text": "Zürich"}]


def test_a_retry_sees_the_original_payload_even_if_the_handler_mutated_it(q: QueueUnderTest) -> None:
    seen: list[dict[str, Any]] = []

    def mutating(payload: dict[str, Any]) -> None:
        seen.append(dict(payload))
        payload["step"] = 99
        if len(seen) == 1:
            raise RuntimeError("retry me")

    q.queue.register("mutating", mutating)
    q.queue.enqueue("mutating", {"step": 1})
    idle(q)

    assert seen == [{"step": 1}, {"step": 1}]


@pytest.mark.parametrize("payload", [{"when": object()}, {"set": {1, 2}}, {"nan": float("nan")}])
def test_a_payload_that_is_not_json_is_rejected_at_enqueue(
    q: QueueUnderTest, payload: dict[str, Any]
) -> None:
    q.queue.register("record", Recorder())

    with pytest.raises(BadRequest):
        q.queue.enqueue("record", payload)


def test_many_tasks_each_run_exactly_once(q: QueueUnderTest) -> None:
    counts: Counter[int] = Counter()
    lock = threading.Lock()

    def count(payload: dict[str, Any]) -> None:
        with lock:
            counts[payload["i"]] += 1

    q.queue.register("count", count)
    results = [q.queue.enqueue("count", {"i": i}, name=task_name("count", str(i))) for i in range(200)]
    idle(q)

    assert all(results)
    assert counts == Counter(range(200))


# -- in-process queue only ----------------------------------------------------------------------


def test_local_backoff_grows_between_attempts() -> None:
    times: list[float] = []

    def flaky(payload: dict[str, Any]) -> None:
        times.append(time.monotonic())
        if len(times) < 4:
            raise RuntimeError("transient")

    with InProcessTaskQueue(workers=1, base_backoff_s=0.02, max_backoff_s=1.0) as queue:
        queue.register("flaky", flaky)
        queue.enqueue("flaky", {})
        assert queue.join(IDLE_TIMEOUT)

    gaps = [b - a for a, b in pairwise(times)]
    # Each gap is at least half its ceiling: 0.02 * 2**(n-1) / 2.
    assert [gap >= 0.01 * 2**n for n, gap in enumerate(gaps)] == [True, True, True]


def test_local_backoff_is_capped_and_jittered() -> None:
    with InProcessTaskQueue(workers=1, base_backoff_s=0.1, max_backoff_s=0.5) as queue:
        delays = [queue.backoff_s(attempt) for attempt in (1, 2, 3, 10, 10, 10, 10, 10, 10)]

    assert 0.05 <= delays[0] <= 0.1
    assert 0.1 <= delays[1] <= 0.2
    assert all(0.25 <= d <= 0.5 for d in delays[3:])
    assert len(set(delays[3:])) > 1


def test_local_dead_tasks_keep_their_payload_and_error() -> None:
    def broken(payload: dict[str, Any]) -> None:
        raise ValueError("bad row")

    with InProcessTaskQueue(max_attempts=2, base_backoff_s=0.001) as queue:
        queue.register("broken", broken)
        queue.enqueue("broken", {"row": 7}, name="row-7")
        assert queue.join(IDLE_TIMEOUT)

    (dead,) = queue.dead
    assert (dead.handler, dead.payload, dead.name, dead.attempts) == ("broken", {"row": 7}, "row-7", 2)
    assert "bad row" in dead.error


def test_local_closed_queue_refuses_new_tasks() -> None:
    queue = InProcessTaskQueue()
    queue.register("record", Recorder())
    queue.close()

    with pytest.raises(Unavailable):
        queue.enqueue("record", {})


def test_local_invalid_task_names_and_delays_are_rejected() -> None:
    with InProcessTaskQueue() as queue:
        queue.register("record", Recorder())
        for bad in ("", "has space", "slash/inside", "x" * 501):
            with pytest.raises(BadRequest):
                queue.enqueue("record", {}, name=bad)
        with pytest.raises(BadRequest):
            queue.enqueue("record", {}, delay_s=-1)


def test_local_join_times_out_while_a_task_is_still_delayed() -> None:
    with InProcessTaskQueue() as queue:
        queue.register("record", Recorder())
        queue.enqueue("record", {}, delay_s=60)

        assert queue.join(timeout=0.05) is False


# -- task names ---------------------------------------------------------------------------------


def test_task_name_is_valid_for_cloud_tasks_and_stable() -> None:
    name = task_name("turn", "8f0c/λ", "step 3")

    assert re.fullmatch(r"[0-9a-f]{32}-turn-8f0c_-step_3", name)
    assert validate_task_name(name) == name
    assert task_name("turn", "8f0c/λ", "step 3") == name


def test_task_name_differs_for_keys_that_sanitise_alike() -> None:
    assert task_name("a/b") != task_name("a.b")
    assert task_name("a", "b") != task_name("a-b")
    assert task_name("a", "b") != task_name("ab")


def test_task_name_spreads_the_prefix_of_sequential_keys() -> None:
    prefixes = {task_name("turn", "t1", str(step))[:4] for step in range(20)}

    assert len(prefixes) > 15


def test_task_name_is_capped_at_500_characters() -> None:
    name = task_name("x" * 2000)

    assert len(name) == 500
    assert validate_task_name(name) == name
    assert task_name("x" * 2000) != task_name("x" * 1999)


def test_task_name_needs_non_empty_parts() -> None:
    for parts in [(), ("",), ("a", "")]:
        with pytest.raises(BadRequest):
            task_name(*parts)
