"""Per-turn agent limits and the tracker that enforces them across steps.

One chat turn runs as several ``agent_step`` tasks, possibly in different processes, so the
tracker is plain data (:meth:`LimitTracker.to_dict` / :meth:`LimitTracker.from_dict`) and
measures the deadline in wall-clock seconds since the turn started.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.model.messages import Usage
from shared.errors import BadRequest, LimitExceeded

DEFAULT_RETRY_CAPS: Mapping[str, int] = {
    "warehouse_error": 3,
    "timeout": 2,
    "unavailable": 2,
    "validation_failed": 4,
    "unsafe_sql": 3,
    "byte_cap_exceeded": 3,
    "unknown_tool": 2,
    "internal": 2,
}


@dataclass(frozen=True)
class TurnLimits:
    """The budget of one turn.

    ``max_output_tokens`` caps tokens generated over the whole turn; each model call asks for
    at most ``max_output_tokens_per_call`` of what is left. ``retry_caps`` bounds how many
    errors of each class (a BridgeError ``code``) a turn tolerates; other codes use
    ``default_retry_cap``.
    """

    max_steps: int = 12
    max_output_tokens: int = 32_000
    max_output_tokens_per_call: int = 8_192
    max_total_tokens: int = 1_000_000
    deadline_s: float = 120.0
    retry_caps: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RETRY_CAPS))
    default_retry_cap: int = 3

    def retry_cap(self, code: str) -> int:
        return self.retry_caps.get(code, self.default_retry_cap)

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_steps": self.max_steps,
            "max_output_tokens": self.max_output_tokens,
            "max_output_tokens_per_call": self.max_output_tokens_per_call,
            "max_total_tokens": self.max_total_tokens,
            "deadline_s": self.deadline_s,
            "retry_caps": dict(self.retry_caps),
            "default_retry_cap": self.default_retry_cap,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TurnLimits:
        try:
            return cls(**{**data, "retry_caps": dict(data.get("retry_caps", DEFAULT_RETRY_CAPS))})
        except TypeError as exc:
            raise BadRequest(f"malformed turn limits: {exc}", details=dict(data)) from exc


@dataclass
class LimitTracker:
    """What a turn has used so far; each ``record_*``/``start_step`` raises LimitExceeded at a limit."""

    limits: TurnLimits = field(default_factory=TurnLimits)
    started_at: float = field(default_factory=time.time)
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    errors: dict[str, int] = field(default_factory=dict)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    @classmethod
    def start(
        cls, limits: TurnLimits | None = None, *, clock: Callable[[], float] = time.time
    ) -> LimitTracker:
        """A fresh tracker whose deadline counts from now."""
        return cls(limits=limits or TurnLimits(), started_at=clock(), clock=clock)

    def _exceeded(self, limit: str, allowed: float, message: str) -> LimitExceeded:
        return LimitExceeded(message, details={"limit": limit, "allowed": allowed, "used": self.snapshot()})

    def check_deadline(self) -> None:
        elapsed = self.clock() - self.started_at
        if elapsed > self.limits.deadline_s:
            raise self._exceeded(
                "deadline_s",
                self.limits.deadline_s,
                f"turn deadline of {self.limits.deadline_s:g}s passed ({elapsed:.0f}s elapsed)",
            )

    def start_step(self) -> int:
        """Count one more step (a model call) and return its number, starting at 1."""
        self.check_deadline()
        if self.steps >= self.limits.max_steps:
            raise self._exceeded(
                "max_steps", self.limits.max_steps, f"step limit of {self.limits.max_steps} reached"
            )
        self.steps += 1
        return self.steps

    def record_usage(self, usage: Usage) -> None:
        """Add one model call's tokens."""
        self.usage = self.usage + usage
        if self.usage.output_tokens > self.limits.max_output_tokens:
            raise self._exceeded(
                "max_output_tokens",
                self.limits.max_output_tokens,
                f"output token budget of {self.limits.max_output_tokens} exceeded",
            )
        if self.usage.total_tokens > self.limits.max_total_tokens:
            raise self._exceeded(
                "max_total_tokens",
                self.limits.max_total_tokens,
                f"token budget of {self.limits.max_total_tokens} exceeded",
            )

    def record_error(self, code: str) -> None:
        """Count one error of class ``code``; raise once more than its cap have happened."""
        self.errors[code] = self.errors.get(code, 0) + 1
        cap = self.limits.retry_cap(code)
        if self.errors[code] > cap:
            raise self._exceeded(
                f"retry_caps.{code}", cap, f"gave up after {self.errors[code]} {code} errors (cap {cap})"
            )

    def output_budget(self) -> int:
        """``max_output_tokens`` for the next model call: what is left, at most the per-call cap."""
        left = self.limits.max_output_tokens - self.usage.output_tokens
        if left <= 0:
            raise self._exceeded(
                "max_output_tokens",
                self.limits.max_output_tokens,
                f"output token budget of {self.limits.max_output_tokens} used up",
            )
        return min(self.limits.max_output_tokens_per_call, left)

    def snapshot(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cached_tokens": self.usage.cached_tokens,
            "errors": dict(self.errors),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state; :meth:`from_dict` restores it in the next step's process."""
        return {"limits": self.limits.to_dict(), "started_at": self.started_at, **self.snapshot()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, clock: Callable[[], float] = time.time) -> LimitTracker:
        try:
            return cls(
                limits=TurnLimits.from_dict(data["limits"]),
                started_at=float(data["started_at"]),
                steps=int(data["steps"]),
                usage=Usage(
                    int(data["input_tokens"]), int(data["output_tokens"]), int(data["cached_tokens"])
                ),
                errors={str(k): int(v) for k, v in data["errors"].items()},
                clock=clock,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadRequest(f"malformed limit tracker state: {exc!r}") from exc
