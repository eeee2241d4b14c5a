"""Figures the trust suites report to ``make trust`` (one JSON line per measurement).

Tests call :func:`record`; it writes only when ``BRIDGE_TRUST_FIGURES`` names a file, so a plain
``pytest`` run records nothing. :func:`scale` is the size knob (``BRIDGE_TRUST_SCALE``, default 1).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

FIGURES_ENV = "BRIDGE_TRUST_FIGURES"
SCALE_ENV = "BRIDGE_TRUST_SCALE"
_lock = threading.Lock()


def scale() -> float:
    """How much bigger than the CI bounds to run (``make trust`` sets more than 1)."""
    try:
        return max(0.1, float(os.environ.get(SCALE_ENV, "1")))
    except ValueError:
        return 1.0


def scaled(n: int) -> int:
    """``n`` times the scale, at least 1."""
    return max(1, round(n * scale()))


@dataclass
class Figures:
    """One suite's counts; latencies in milliseconds where the suite measures them."""

    suite: str
    tried: int = 0
    rejected: int = 0
    errors: int = 0
    lost: int = 0
    duplicated: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        self.tried += other.tried
        self.rejected += other.rejected
        self.errors += other.errors
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.latencies_ms.extend(other.latencies_ms)


def record(
    suite: str,
    *,
    tried: int = 0,
    rejected: int = 0,
    errors: int = 0,
    lost: int = 0,
    duplicated: int = 0,
    latencies_ms: Sequence[float] = (),
) -> None:
    """Append one measurement of ``suite`` to the figures file, if one is configured."""
    target = os.environ.get(FIGURES_ENV)
    if not target:
        return
    line = json.dumps(
        {
            "suite": suite,
            "tried": tried,
            "rejected": rejected,
            "errors": errors,
            "lost": lost,
            "duplicated": duplicated,
            "latencies_ms": [round(x, 3) for x in latencies_ms],
        }
    )
    with _lock, Path(target).open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def load(path: Path) -> dict[str, Figures]:
    """Every suite's figures in a figures file, summed per suite, in first-seen order."""
    suites: dict[str, Figures] = {}
    if not path.exists():
        return suites
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        item = json.loads(raw)
        one = Figures(
            item["suite"],
            item["tried"],
            item["rejected"],
            item["errors"],
            item["lost"],
            item["duplicated"],
            list(item["latencies_ms"]),
        )
        suites.setdefault(one.suite, Figures(one.suite)).add(one)
    return suites


def percentile(values: Iterable[float], pct: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None when empty)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
