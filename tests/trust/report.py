"""``make trust``: run every trust suite at a larger scale and print one table of figures.

Usage (from the repository root)::

    python -m tests.trust.report [--scale 4] [-- extra pytest arguments]

The suites run in a child pytest process with ``BRIDGE_TRUST_FIGURES`` pointing at a scratch file
that each test appends its counts to; this module sums them per suite. The exit status is
pytest's, so a failing suite fails ``make trust``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.trust.figures import FIGURES_ENV, SCALE_ENV, Figures, load, percentile
else:
    from .figures import FIGURES_ENV, SCALE_ENV, Figures, load, percentile

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCALE = "4"
COLUMNS = ("suite", "tried", "rejected", "errors", "lost", "duplicated", "p50 ms", "p95 ms", "p99 ms")


def table(suites: Sequence[Figures]) -> str:
    """The figures as an aligned text table, one row per suite."""

    def ms(values: list[float], pct: float) -> str:
        value = percentile(values, pct)
        return "" if value is None else f"{value:.1f}"

    rows = [COLUMNS] + [
        (
            f.suite,
            str(f.tried),
            str(f.rejected),
            str(f.errors),
            str(f.lost),
            str(f.duplicated),
            ms(f.latencies_ms, 50),
            ms(f.latencies_ms, 95),
            ms(f.latencies_ms, 99),
        )
        for f in suites
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


def failed_tests(junit: Path) -> tuple[int, list[str]]:
    """(tests run, ids of tests that failed or errored) from a JUnit XML report."""
    if not junit.exists():
        return 0, []
    root = ET.parse(junit).getroot()
    ran, failed = 0, []
    for case in root.iter("testcase"):
        if case.find("skipped") is not None:
            continue
        ran += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname')}::{case.get('name')}")
    return ran, failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--scale", default=os.environ.get(SCALE_ENV, DEFAULT_SCALE), help="bounds multiplier (CI runs 1)"
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bridge-trust-") as scratch:
        figures, junit = Path(scratch) / "figures.jsonl", Path(scratch) / "junit.xml"
        env = {**os.environ, FIGURES_ENV: str(figures), SCALE_ENV: str(args.scale)}
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests/trust",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rfE",
            f"--junitxml={junit}",
            *args.pytest_args,
        ]
        print(f"trust suites at scale {args.scale}: {' '.join(command[2:])}", flush=True)
        code = subprocess.call(command, cwd=ROOT, env=env)
        suites = list(load(figures).values())
        ran, failed = failed_tests(junit)
    print()
    print(table(suites))
    print()
    print(f"{ran} tests ran, {len(failed)} failed" + "".join(f"\n  FAILED {name}" for name in failed))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
