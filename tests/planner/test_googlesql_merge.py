"""Slices of the GoogleSQL check run side by side add up to the figures of one run (no analyzer needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .googlesql_eval import CaseCheck, QueryCheck, main, merged, summary

IN_TYPES = "No matching signature for operator IN for argument types INT64 and {STRING} [at 1:30]"


def _cases() -> list[CaseCheck]:
    ok = [QueryCheck("q", "SELECT 1", None)]
    bad = [QueryCheck("q", "SELECT a FROM t WHERE a IN ('1')", IN_TYPES)]
    return [
        CaseCheck("c1", "db1", "dashboard", list(ok)),
        CaseCheck("c2", "db1", "clarify"),
        CaseCheck("c3", "db2", "dashboard", ok + bad),
        CaseCheck("c4", "db2", "no_chart", list(ok)),
        CaseCheck("c5", "db3", "dashboard", list(bad)),
    ]


def _figures(cases: list[CaseCheck], seconds: float) -> dict[str, object]:
    return {"set": "dev", "of": len(cases), **summary(cases, seconds)}


def test_disjoint_slices_merge_to_the_whole_runs_figures() -> None:
    cases = _cases()
    whole = _figures(cases, 9.0)
    parts = [_figures(cases[:2], 4.0), _figures(cases[2:], 9.0)]
    assert merged(parts) == whole
    assert (whole["queries"], whole["failed"], whole["cases_with_a_failure"]) == (5, 2, 2)


def test_merge_reads_reports_and_writes_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = _cases()
    paths = []
    for n, part in enumerate((cases[:3], cases[3:])):
        paths.append(tmp_path / f"slice{n}.json")
        paths[-1].write_text(json.dumps({"sets": [_figures(part, 1.0)]}))
    out = tmp_path / "whole.json"
    assert main(["--merge", *map(str, paths), "--report", str(out)]) == 0
    [one] = json.loads(out.read_text())["sets"]
    assert (one["cases"], one["queries"], one["passed"], one["failed"]) == (5, 5, 3, 2)
    assert "dev: 5 cases, 5 queries, 3 pass GoogleSQL analysis, 2 fail" in capsys.readouterr().out
