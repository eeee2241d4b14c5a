"""The figures table and JSON report from hand-made case results."""

from __future__ import annotations

from shared.evaluation.cases import Case
from shared.evaluation.report import SetReport, rates, table
from shared.evaluation.runner import CaseResult
from shared.evaluation.scoring import Verdict

GOLD = {"mark": "bar", "x": {"field": "a"}, "y": {"field": None, "aggregate": "count"}}


def result(n: int, outcome: str, ok: bool, seconds: float, *, question: str = "a bar chart of a",
           chart: str = "Bar", group: str | None = None, agent: float = 0.0) -> CaseResult:  # fmt: skip
    case = Case(f"c{n}", question, "t", (GOLD,), chart=chart, hardness="Easy", group=group or f"g{n}")
    verdict = Verdict(ok, ok, ok, ok, ok, ok)
    views = [{"mark": "bar"}] if outcome == "dashboard" else []
    return CaseResult(case, outcome, seconds, f"reply {n}", views, verdict, agent_seconds=agent)


RESULTS = [
    result(1, "dashboard", True, 1.0, agent=0.9),
    result(2, "dashboard", False, 2.0, agent=1.7),
    result(3, "clarify", False, 3.0, question="how many per team?", chart="Pie"),
    result(4, "error", False, 4.0, chart="Pie"),
    result(5, "no_chart", False, 5.0, group="g2"),
]


def test_rates_of_a_group() -> None:
    r = rates(RESULTS)
    assert (r["n"], r["both"], r["chart_lenient"]) == (5, 20.0, 20.0)
    assert (r["clarify"], r["error"], r["no_chart"]) == (20.0, 20.0, 20.0)
    assert r["n_named"] == 4 and r["clarify_named"] == 0.0  # the clarified request names no chart
    assert (r["median_s"], r["p95_s"]) == (3.0, 5.0)
    assert r["overhead_median_s"] == 0.2  # median of 0.1 and 0.3 (cases with an agent time)


def test_worst_failures_most_severe_first_one_per_chart() -> None:
    report = SetReport("s", "offline", "all", RESULTS, 0.5, 15.0)
    worst = report.worst()
    assert [w["id"] for w in worst] == ["c4", "c3", "c5"]  # c2 shares its chart (group g2) with c5
    assert worst[0]["reply"] == "reply 4" and worst[0]["expected"] == [GOLD]
    doc = report.to_json()
    assert set(doc["by_chart"]) == {"Bar", "Pie"} and doc["by_chart"]["Pie"]["n"] == 2


def test_table_shows_goals_and_a_baseline() -> None:
    report = SetReport("s", "offline", "all", RESULTS, 0.5, 15.0)
    text = table(report, {"overall": {**rates(RESULTS), "both": 10.0}})
    both = next(line for line in text.splitlines() if line.startswith("both"))
    assert "20.0%" in both and "10.0%" in both and ">= 70%" in both and "not met" in both
    assert "error rate" in text and "by chart type" in text and "Pie" in text
    assert "by hardness" not in text  # one hardness level only: no breakdown
