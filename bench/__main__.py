"""Run every benchmark module's ``run()`` and print one table."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from typing import Any

MODULES = [
    "bench.bench_serving",
    "bench.bench_generation",
    "bench.bench_catalog",
    "bench.bench_coldstart",
    "bench.bench_warehouse",
    "bench.bench_goals",
    "bench.bench_goals_chat",
    "bench.bench_stream",
]


def fmt(value: float, unit: str) -> str:
    if unit in ("x",):
        return f"{value:.2f}"
    if unit == "B":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated module suffixes, e.g. serving,coldstart")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows: list[tuple[str, dict[str, Any]]] = []
    for name in MODULES:
        if args.only and not any(name.endswith(o.strip()) for o in args.only.split(",")):
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
            continue
        if not hasattr(module, "run"):
            continue
        t0 = time.perf_counter()
        for r in module.run():
            rows.append((name.removeprefix("bench.bench_"), r))
        print(f"{name} done in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    width = max((len(r["name"]) for _, r in rows), default=10)
    print(f"\n{'suite':<11} {'figure':<{width}} {'value':>12} {'unit':<6} note")
    print("-" * (width + 45))
    for suite, r in rows:
        print(
            f"{suite:<11} {r['name']:<{width}} {fmt(r['value'], r['unit']):>12} {r['unit']:<6} {r.get('note', '')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
