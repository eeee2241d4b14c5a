"""``bridge eval --shard K/N`` runs disjoint parts of a selection; ``--merge`` gives the whole run's figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from evaluation.test_eval_run import OWN, check_report_is_consistent

from shared.dev.cli import main as cli_main
from shared.evaluation.scoring import VERDICTS

FIGURES = (*VERDICTS, "clarify", "error", "no_chart", "no_dashboard", "clarify_named", "n", "n_named")


def _eval(tmp_path: Path, name: str, *extra: str) -> dict:
    report = tmp_path / f"{name}.json"
    argv = ["eval", "--cases", str(OWN), "--report", str(report), "--work", str(tmp_path / name), "--quiet"]
    assert cli_main([*argv, *extra]) == 0
    return json.loads(report.read_text())


def test_two_shards_merged_give_the_figures_of_one_whole_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = _eval(tmp_path, "whole")
    first = _eval(tmp_path, "s0", "--shard", "0/2")
    second = _eval(tmp_path, "s1", "--shard", "1/2")
    ids = [[r["id"] for r in doc["sets"][0]["cases"]] for doc in (whole, first, second)]
    assert ids[1] == ids[0][0::2] and ids[2] == ids[0][1::2]  # disjoint, together the whole selection
    capsys.readouterr()

    merged_file = tmp_path / "merged.json"
    argv = ["eval", "--cases", str(OWN), "--merge", str(tmp_path / "s0.json"), str(tmp_path / "s1.json")]
    assert cli_main([*argv, "--report", str(merged_file)]) == 0
    out = capsys.readouterr().out
    merged = check_report_is_consistent(json.loads(merged_file.read_text()), OWN / "cases.jsonl")

    one = whole["sets"][0]
    assert {k: merged["overall"][k] for k in FIGURES} == {k: one["overall"][k] for k in FIGURES}
    assert {c: g["n"] for c, g in merged["by_chart"].items()} == {
        c: g["n"] for c, g in one["by_chart"].items()
    }
    assert "2 shards merged" in out and "both (chart + axes)" in out


def test_a_case_in_two_shard_reports_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _eval(tmp_path, "s0", "--shard", "0/2")
    argv = ["eval", "--cases", str(OWN), "--merge", str(tmp_path / "s0.json"), str(tmp_path / "s0.json")]
    assert cli_main(argv) == 2
    assert "is in two reports" in capsys.readouterr().err


@pytest.mark.parametrize("spec", ["2/2", "x", "1/0", "-1/3"])
def test_a_bad_shard_is_a_clear_error(tmp_path: Path, spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["eval", "--cases", str(OWN), "--work", str(tmp_path / "w"), "--quiet", f"--shard={spec}"]
    assert cli_main(argv) == 2
    assert "--shard" in capsys.readouterr().err
