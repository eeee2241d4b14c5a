"""TurnLimits and LimitTracker: each limit raises LimitExceeded naming it; state survives a round trip."""

from __future__ import annotations

import json

import pytest

from shared.adapters.model.messages import Usage
from shared.agent.limits import LimitTracker, TurnLimits
from shared.errors import BadRequest, LimitExceeded


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_steps_are_counted_up_to_the_limit() -> None:
    tracker = LimitTracker.start(TurnLimits(max_steps=2))

    assert [tracker.start_step(), tracker.start_step()] == [1, 2]
    with pytest.raises(LimitExceeded, match="step limit of 2") as caught:
        tracker.start_step()
    assert caught.value.details["limit"] == "max_steps"
    assert tracker.steps == 2


def test_the_deadline_counts_from_the_turn_start() -> None:
    clock = Clock()
    tracker = LimitTracker.start(TurnLimits(deadline_s=120), clock=clock)
    clock.now += 119
    tracker.start_step()

    clock.now += 2
    with pytest.raises(LimitExceeded, match="deadline of 120s") as caught:
        tracker.start_step()
    assert caught.value.details["limit"] == "deadline_s"


def test_output_and_total_token_budgets() -> None:
    tracker = LimitTracker.start(
        TurnLimits(max_output_tokens=1000, max_output_tokens_per_call=600, max_total_tokens=5000)
    )
    tracker.record_usage(Usage(input_tokens=2000, output_tokens=500))

    assert tracker.output_budget() == 500
    with pytest.raises(LimitExceeded, match="output token budget of 1000") as caught:
        tracker.record_usage(Usage(input_tokens=100, output_tokens=501))
    assert caught.value.details["used"]["output_tokens"] == 1001

    total = LimitTracker.start(TurnLimits(max_total_tokens=5000))
    total.record_usage(Usage(input_tokens=4000, output_tokens=100, cached_tokens=3000))
    with pytest.raises(LimitExceeded, match="token budget of 5000") as caught:
        total.record_usage(Usage(input_tokens=1000, output_tokens=1))
    assert caught.value.details["limit"] == "max_total_tokens"


def test_per_call_output_budget_is_capped_and_a_spent_budget_raises() -> None:
    tracker = LimitTracker.start(TurnLimits(max_output_tokens=5000, max_output_tokens_per_call=4096))

    assert tracker.output_budget() == 4096
    tracker.record_usage(Usage(output_tokens=5000))
    with pytest.raises(LimitExceeded, match="used up"):
        tracker.output_budget()


def test_retry_caps_are_per_error_class() -> None:
    tracker = LimitTracker.start(TurnLimits(retry_caps={"warehouse_error": 2, "timeout": 1}))
    tracker.record_error("warehouse_error")
    tracker.record_error("warehouse_error")
    tracker.record_error("timeout")

    with pytest.raises(LimitExceeded, match="3 warehouse_error errors") as caught:
        tracker.record_error("warehouse_error")
    assert caught.value.details["limit"] == "retry_caps.warehouse_error"
    with pytest.raises(LimitExceeded, match="timeout"):
        tracker.record_error("timeout")


def test_unlisted_error_classes_use_the_default_cap() -> None:
    tracker = LimitTracker.start(TurnLimits(retry_caps={}, default_retry_cap=1))
    tracker.record_error("not_found")

    with pytest.raises(LimitExceeded, match="not_found"):
        tracker.record_error("not_found")


def test_default_caps_cover_the_common_error_classes() -> None:
    limits = TurnLimits()

    assert limits.max_steps == 12 and limits.deadline_s == 120
    assert {code: limits.retry_cap(code) for code in ("warehouse_error", "timeout", "validation_failed")} == {
        "warehouse_error": 3,
        "timeout": 2,
        "validation_failed": 4,
    }


def test_state_survives_a_json_round_trip_between_steps() -> None:
    clock = Clock()
    first = LimitTracker.start(TurnLimits(max_steps=3, retry_caps={"timeout": 1}), clock=clock)
    first.start_step()
    first.record_usage(Usage(1200, 300, 1000))
    first.record_error("timeout")

    restored = LimitTracker.from_dict(json.loads(json.dumps(first.to_dict())), clock=clock)

    assert restored == first
    assert restored.start_step() == 2
    with pytest.raises(LimitExceeded):
        restored.record_error("timeout")
    clock.now += 121
    with pytest.raises(LimitExceeded, match="deadline"):
        restored.start_step()


def test_malformed_state_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="malformed limit tracker state"):
        LimitTracker.from_dict({"steps": 1})
    with pytest.raises(BadRequest, match="malformed turn limits"):
        TurnLimits.from_dict({"max_stepz": 3})
