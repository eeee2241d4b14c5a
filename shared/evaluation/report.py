"""Figures of an eval run: one table (strict/lenient rates, clarify/error rates, seconds), breakdowns,
a JSON report with every case and the worst failures."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.evaluation.runner import CaseResult
from shared.evaluation.scoring import VERDICTS

# figure -> (goal text, test on the figure); issue 13's goals for the offline planner on nvBench 1.0
GOALS: dict[str, tuple[str, Any]] = {
    "both": (">= 70%", lambda v: v >= 70.0),
    "clarify_named": ("<= 5%", lambda v: v <= 5.0),
    "error": ("0%", lambda v: v == 0.0),
    "median_s": ("< 0.5 s", lambda v: v < 0.5),
}
CHART_WORDS = re.compile(
    r"\b(bar|bars|histogram|column chart|stacked|grouped|line|lines|trend|area|pie|donut|scatter|"
    r"scatterplot|chart|plot|graph)\b",
    re.IGNORECASE,
)
SEVERITY = {"error": 0, "clarify": 1, "no_dashboard": 1, "no_chart": 2, "dashboard": 3}


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _p95(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]


def rates(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The figures of a group of cases (percentages, one decimal)."""
    n = len(results)
    out: dict[str, Any] = {"n": n}
    for key in VERDICTS:
        out[key] = _pct(sum(getattr(r.verdict, key) for r in results), n)
    for kind in ("clarify", "error", "no_chart", "no_dashboard"):
        out[kind] = _pct(sum(r.outcome == kind for r in results), n)
    named = [r for r in results if CHART_WORDS.search(r.case.question)]
    out["clarify_named"] = _pct(sum(r.outcome == "clarify" for r in named), len(named))
    out["n_named"] = len(named)
    seconds = [r.seconds for r in results]
    out["median_s"] = round(statistics.median(seconds), 3) if seconds else 0.0
    out["p95_s"] = round(_p95(seconds), 3)
    overhead = [r.overhead_seconds for r in results if r.agent_seconds]
    out["overhead_median_s"] = round(statistics.median(overhead), 3) if overhead else 0.0
    return out


@dataclass
class SetReport:
    """The figures of one case set."""

    name: str
    model: str
    selection: str
    results: list[CaseResult]
    setup_s: float
    wall_s: float

    def groups(self, attr: str) -> dict[str, dict[str, Any]]:
        by: dict[str, list[CaseResult]] = defaultdict(list)
        for r in self.results:
            by[getattr(r.case, attr) or "-"].append(r)
        return {k: rates(v) for k, v in sorted(by.items())}

    def worst(self, limit: int = 20) -> list[dict[str, Any]]:
        """Failures, most severe first (errors, questions back, KPI-only, wrong chart), one per chart."""
        failed = [r for r in self.results if not r.verdict.both]
        failed.sort(
            key=lambda r: (SEVERITY[r.outcome], r.verdict.chart_lenient + r.verdict.axes_lenient, r.case.id)
        )
        seen: set[str] = set()
        out = []
        for r in failed:
            if r.case.group in seen:
                continue
            seen.add(r.case.group)
            out.append(failure_json(r))
            if len(out) >= limit:
                break
        return out

    def to_json(self, failures: int = 20) -> dict[str, Any]:
        return {
            "set": self.name,
            "model": self.model,
            "selection": self.selection,
            "overall": rates(self.results),
            "by_chart": self.groups("chart"),
            "by_hardness": self.groups("hardness"),
            "setup_s": round(self.setup_s, 2),
            "wall_s": round(self.wall_s, 2),
            "worst_failures": self.worst(failures),
            "cases": [case_json(r) for r in self.results],
        }


def case_json(r: CaseResult) -> dict[str, Any]:
    return {
        "id": r.case.id,
        "chart": r.case.chart,
        "hardness": r.case.hardness,
        "outcome": r.outcome,
        "seconds": round(r.seconds, 3),
        "agent_seconds": round(r.agent_seconds, 3),
        **r.verdict.as_dict(),
        "views": r.views,
    }


def failure_json(r: CaseResult) -> dict[str, Any]:
    return {
        "id": r.case.id,
        "question": r.case.question,
        "outcome": r.outcome,
        "expected": list(r.case.golds),
        "predicted": r.views,
        "reply": r.reply,
        "tool_calls": r.tool_calls,
        **({"error": r.error} if r.error else {}),
    }


def _row(label: str, r: dict[str, Any], width: int = 18) -> str:
    return (
        f"{label[:width]:{width}}{r['n']:>5}  {r['chart']:>6.1f}{r['axes']:>6.1f}{r['both']:>6.1f}  |"
        f"{r['chart_lenient']:>6.1f}{r['axes_lenient']:>6.1f}{r['both_lenient']:>6.1f}  |"
        f"{r['clarify']:>6.1f}{r['error']:>6.1f}{r['median_s']:>7.2f}"
    )


def table(report: SetReport, baseline: dict[str, Any] | None = None) -> str:
    """The figures table of one set: headline figures with goal (and a baseline run, if given)."""
    o = rates(report.results)
    base = (baseline or {}).get("overall") or {}
    head = f"{'':27}{'strict':>8}{'lenient':>9}" + (f"{'baseline':>10}" if base else "") + f"{'goal':>10}"
    lines = [
        f"== bridge eval: {report.name} · {report.selection} · model {report.model} ==",
        head,
    ]

    def line(label: str, key: str, lenient: str | None, unit: str = "%") -> None:
        value = o[key]
        d = 2 if unit == " s" else 1
        text = f"{label:27}{value:>7.{d}f}{unit}" + (f"{o[lenient]:>8.{d}f}{unit}" if lenient else f"{'':9}")
        if base:
            text += f"{base[key]:>9.{d}f}{unit}" if key in base else " " * (9 + len(unit))
        goal = GOALS.get(key)
        if goal is not None:
            text += f"{goal[0]:>10}" + ("  met" if goal[1](value) else "  not met")
        lines.append(text)

    line("chart type", "chart", "chart_lenient")
    line("axes", "axes", "axes_lenient")
    line("both (chart + axes)", "both", "both_lenient")
    line("clarify rate", "clarify", None)
    line(f"  of {o['n_named']} naming a chart", "clarify_named", None)
    line("error rate", "error", None)
    line("KPI/table only", "no_chart", None)
    line("no dashboard (no question)", "no_dashboard", None)
    line("seconds/case median", "median_s", None, " s")
    line("seconds/case p95", "p95_s", None, " s")
    line("  of which eval (median)", "overhead_median_s", None, " s")
    lines.append(
        f"{report.results.__len__()} cases in {report.wall_s:.1f} s "
        f"(setup: build + onboard databases {report.setup_s:.1f} s)"
    )
    legend = f"{'':18}{'n':>5}  {'chart':>6}{'axes':>6}{'both':>6}  |{'lenient':>18}  |{'clar%':>6}{'err%':>6}{'med s':>7}"
    for attr, title in (("chart", "by chart type"), ("hardness", "by hardness")):
        groups = report.groups(attr)
        if len(groups) <= 1 and attr == "hardness":
            continue
        lines += ["", f"{title:18}" + legend[18:]]
        lines += [_row(name, r) for name, r in groups.items()]
    return "\n".join(lines)
