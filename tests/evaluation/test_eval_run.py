"""``bridge eval`` end to end on the project's own small case folder: offline planner, a team's own
connection, and the Gemini adapter replaying a recorded Vertex conversation through google-genai."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from shared.bootstrap import Container
from shared.dev.cli import main as cli_main
from shared.evaluation import onboard
from shared.evaluation.command import add_arguments, run, scratch_container
from shared.evaluation.scoring import VERDICTS, judge
from shared.evaluation.tables import build_duckdb, nvbench1_databases
from shared.settings import Settings

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "own-cases"
VERTEX_EVAL = Path(__file__).resolve().parents[1] / "fixtures" / "vertex" / "eval"
OUTCOMES = {"dashboard", "no_chart", "clarify", "no_dashboard", "error"}


def args_of(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def check_report_is_consistent(doc: dict[str, Any], cases_file: Path) -> dict[str, Any]:
    """Every figure is what the per-case verdicts give, and each verdict is what the views score."""
    [one] = doc["sets"]
    golds = {c["id"]: c for c in map(json.loads, cases_file.read_text().splitlines())}
    n = len(one["cases"])
    for row in one["cases"]:
        assert row["outcome"] in OUTCOMES and row["seconds"] > 0
        case = golds[row["id"]]
        expect = judge(case.get("accept") or [case["expect"]], row["views"]).as_dict()
        assert {k: row[k] for k in VERDICTS} == expect, row["id"]
        if row["outcome"] in ("clarify", "no_dashboard", "error"):
            assert row["views"] == []
    for key in VERDICTS:
        assert one["overall"][key] == round(100.0 * sum(r[key] for r in one["cases"]) / n, 1)
    assert sum(g["n"] for g in one["by_chart"].values()) == n
    failing = {r["id"] for r in one["cases"] if not r["both"]}
    assert {f["id"] for f in one["worst_failures"]} <= failing
    for f in one["worst_failures"]:
        assert f["question"] and f["expected"] and "reply" in f
    return one


def test_offline_eval_of_the_own_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    argv = ["eval", "--cases", str(OWN), "--report", str(report), "--work", str(tmp_path / "w"), "--quiet"]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    one = check_report_is_consistent(json.loads(report.read_text()), OWN / "cases.jsonl")
    assert one["model"] == "offline" and one["overall"]["n"] == 8
    assert one["overall"]["error"] == 0.0, [f for f in one["worst_failures"] if f["outcome"] == "error"]
    assert "== bridge eval: own-cases · all 8 cases · model offline ==" in out
    for label in ("chart type", "both (chart + axes)", "clarify rate", "error rate", "seconds/case median"):
        assert label in out
    for chart in ("Bar", "Line", "Pie", "Scatter", "Stacked Bar"):
        assert any(line.startswith(chart + " ") for line in out.splitlines()), chart
    assert sorted((tmp_path / "w" / "own-cases").glob("*.duckdb")) == [
        tmp_path / "w" / "own-cases" / "own-cases-orchard.duckdb",
        tmp_path / "w" / "own-cases" / "own-cases-shelter.duckdb",
    ]  # one warehouse per database, not per case


def test_a_team_runs_its_own_cases_on_its_own_connection(container: Container, tmp_path: Path) -> None:
    path = build_duckdb(
        nvbench1_databases(OWN / "tables")["shelter"], container.settings.duckdb_root_paths[0] / "mine.duckdb"
    )
    who = onboard.Principal("owner@example.com", "owner@example.com")
    team_id = onboard.ensure_team(container, who, "Our team")
    onboard.ensure_connection(container, who, team_id, "Our warehouse", path, "nvbench")
    cases = tmp_path / "ours.jsonl"  # no tables/ folder beside it: the team's tables are used
    lines = [line for line in (OWN / "cases.jsonl").read_text().splitlines() if '"shelter"' in line][:3]
    cases.write_text("\n".join(lines) + "\n")
    report = tmp_path / "r.json"
    args = args_of(
        "--cases", str(cases), "--team", team_id, "--connection", "Our warehouse", "--report", str(report)
    )
    out = io.StringIO()
    assert run(args, container=container, out=out) == 0
    one = check_report_is_consistent(json.loads(report.read_text()), cases)
    assert one["overall"]["n"] == 3 and one["overall"]["error"] == 0.0
    from shared.db.models import ChatSession, Connection

    with container.db.session() as s:  # the questions were asked on the team's connection, nowhere else
        conns = {c.id: c.name for c in s.query(Connection).all()}
        asked = [conns[cs.connection_id] for cs in s.query(ChatSession).all()]
    assert asked == ["Our warehouse"] * 3
    wrong = args_of("--cases", str(cases), "--team", team_id, "--connection", "nope")
    err = io.StringIO()
    assert run(wrong, container=container, out=err) == 2


def test_gemini_eval_replays_a_recorded_conversation(tmp_path: Path, vertex: Any, gemini: Any) -> None:
    c = scratch_container("gemini-2.5-flash", Settings(), tmp_path / "data")
    c.install_model(gemini)  # the registry's Gemini model, its client pointed at the replay server
    vertex.queue(*[(200, f"eval/step{n}.sse") for n in (1, 2, 3)])
    report, out = tmp_path / "r.json", io.StringIO()
    args = args_of(
        "--cases", str(OWN), "--case-id", "own-3", "--model", "gemini-2.5-flash", "--report", str(report)
    )
    try:
        assert run(args, container=c, out=out) == 0
    finally:
        c.__dict__["task_queue"].close()
        c.db.engine.dispose()
    one = check_report_is_consistent(json.loads(report.read_text()), OWN / "cases.jsonl")
    [row] = one["cases"]
    assert row["outcome"] == "dashboard" and row["both"] is True
    assert row["views"][0]["x"] == {"field": "species", "aggregate": "none", "bin": None}
    assert row["views"][0]["y"] == {"field": "weight_kg", "aggregate": "sum"}
    assert "model gemini-2.5-flash" in out.getvalue()
    sent = vertex.generate_calls
    assert len(sent) == 3  # dry run, save, final answer: the whole recorded conversation was used
    first_user = sent[0].body["contents"][0]["parts"][0]["text"]
    assert first_user == "Pie chart of the total weight_kg for each species"
    assert "nvbench" in json.dumps(sent[0].body["systemInstruction"])  # the eval connection is the context


def test_an_nvbench2_layout_folder_runs_with_any_of_several_accepted_charts(tmp_path: Path) -> None:
    folder = tmp_path / "v2-style"
    (folder / "tables").mkdir(parents=True)
    shutil.copy(OWN / "tables" / "shelter" / "animals.csv", folder / "tables" / "shelter_animals.csv")
    columns = json.loads((OWN / "tables" / "shelter" / "schema.json").read_text())["tables"][0]["columns"]
    schema = {"tables": [{"name": "shelter_animals", "file": "shelter_animals.csv", "rows": 40,
                          "source": {"db": "shelter", "table": "animals"}, "columns": columns}]}  # fmt: skip
    (folder / "tables" / "schema.json").write_text(json.dumps(schema))
    count = {"field": None, "aggregate": "count"}
    species = {"field": "species", "bin": None, "aggregate": "none"}
    accept = [
        {"mark": "pie", "stacked_or_grouped": False, "x": species, "y": count, "color": None},
        {"mark": "bar", "stacked_or_grouped": False, "x": species, "y": count, "color": None},
    ]
    case = {"id": "v2-0", "question": "How many animals of each species? Bar chart.", "table": "shelter_animals",
            "chart": "pie", "accept": accept}  # fmt: skip
    (folder / "cases.jsonl").write_text(json.dumps(case) + "\n")
    report = tmp_path / "r.json"
    argv = ["eval", "--cases", str(folder), "--report", str(report), "--work", str(tmp_path / "w"), "--quiet"]
    assert cli_main(argv) == 0
    one = check_report_is_consistent(json.loads(report.read_text()), folder / "cases.jsonl")
    assert one["set"] == "v2-style" and one["cases"][0]["outcome"] != "error"
    assert (tmp_path / "w" / "v2-style" / "v2-style-shelter_animals.duckdb").is_file()


def test_missing_case_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["eval", "--cases", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err
    shutil.copytree(OWN, tmp_path / "copy")
    (tmp_path / "copy" / "tables" / "shelter" / "schema.json").unlink()
    assert cli_main(["eval", "--cases", str(tmp_path / "copy"), "--case-id", "own-1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "error rate" in out and "100.0%" in out.split("error rate")[1].splitlines()[0]


def test_model_flag_overrides_a_teams_own_model_without_changing_the_team(container: Container) -> None:
    from shared.adapters.model.offline.model import OfflinePlanner
    from shared.db.models import Team
    from shared.evaluation.command import team_container
    from shared.services import teams

    who = onboard.Principal("owner@example.com", "owner@example.com")
    team_id = onboard.ensure_team(container, who, "Gemini team")
    with container.db.session() as s:
        teams.update_settings(s, who, team_id, {"model": "gemini-2.5-flash", "model_region": "us-central1"})
    assert team_container(container, team_id, None) is container
    run_c = team_container(container, team_id, "offline")
    try:
        assert isinstance(run_c.chat_model("gemini-2.5-flash", "us-central1"), OfflinePlanner)
        with run_c.db.session() as s:
            assert s.get(Team, team_id).model == "gemini-2.5-flash"  # type: ignore[union-attr]
    finally:
        run_c.db.engine.dispose()


def _eval_script() -> list[tuple[list[str], list[tuple[str, str, str]]]]:
    """The recorded eval conversation (tests/fixtures/vertex/eval) as text pieces and tool calls per step."""
    steps = []
    for n in (1, 2, 3):
        text, calls = [], []
        for line in (VERTEX_EVAL / f"step{n}.sse").read_text().splitlines():
            if line.startswith("data: "):
                for part in json.loads(line[6:])["candidates"][0]["content"]["parts"]:
                    if "text" in part:
                        text.append(part["text"])
                    if "functionCall" in part:
                        fc = part["functionCall"]
                        calls.append((f"call_{n}", fc["name"], json.dumps(fc["args"])))
        steps.append((text, calls))
    return steps


def test_openai_provider_eval_goes_through_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--model openai:<id>``: the registry builds the OpenAI-compatible adapter from settings; a local
    server speaking Chat Completions (tests/provider_wire.py) plays the same conversation."""
    from provider_wire import openai_stream, serve

    script = _eval_script()
    server_gen = serve()
    wire = next(server_gen)

    def respond(got: Any) -> Any:
        step = sum(m.get("role") == "assistant" for m in got.body.get("messages") or [])
        return openai_stream(*script[min(step, len(script) - 1)])

    wire.responder = respond
    monkeypatch.setenv("BRIDGE_OPENAI_BASE_URL", f"{wire.url}/v1")
    report, argv = tmp_path / "r.json", ["eval", "--cases", str(OWN), "--case-id", "own-3", "--quiet"]
    try:
        assert (
            cli_main([*argv, "--model", "openai:qwen2.5", "--report", str(report), "--work", str(tmp_path)])
            == 0
        )
    finally:
        next(server_gen, None)
    one = check_report_is_consistent(json.loads(report.read_text()), OWN / "cases.jsonl")
    assert one["model"] == "openai:qwen2.5"
    assert one["cases"][0]["outcome"] == "dashboard" and one["cases"][0]["both"] is True
    assert [r.body["model"] for r in wire.received] == ["qwen2.5"] * 3


def test_each_case_meets_the_same_team_state(tmp_path: Path) -> None:
    """The same question twice: the second case builds its own dashboard (the first one's was
    deleted once read), instead of being told the dashboard exists already."""
    folder = tmp_path / "twice"
    shutil.copytree(OWN, folder)
    first = json.loads((OWN / "cases.jsonl").read_text().splitlines()[0])
    again = {**first, "id": first["id"] + "-again"}
    (folder / "cases.jsonl").write_text(json.dumps(first) + "\n" + json.dumps(again) + "\n")
    report = tmp_path / "report.json"
    argv = ["eval", "--cases", str(folder), "--report", str(report), "--work", str(tmp_path / "w"), "--quiet"]
    assert cli_main(argv) == 0
    [one] = json.loads(report.read_text())["sets"]
    assert [r["outcome"] for r in one["cases"]] == ["dashboard", "dashboard"], one["worst_failures"]
