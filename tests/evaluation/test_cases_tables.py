"""Case folders: reading, sampling, and building their tables into DuckDB (schema.json types, COPY)."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from shared.errors import BadRequest
from shared.evaluation.cases import Case, discover, per_group, read_cases, stratified_sample
from shared.evaluation.scoring import judge
from shared.evaluation.tables import build_duckdb, nvbench1_databases, nvbench2_databases

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "own-cases"
HANDOUT = Path(os.environ.get("BRIDGE_EVAL_CASES") or Path(__file__).resolve().parents[3] / "shared" / "eval")


def make_cases(charts: dict[str, int]) -> list[Case]:
    out = []
    for chart, n in charts.items():
        for i in range(n):
            out.append(
                Case(f"{chart}-{i}", "q", "t", ({"mark": "bar"},), chart=chart, group=f"{chart}-{i // 3}")
            )
    return out


def test_own_cases_read_with_their_golds_and_groups() -> None:
    [own] = discover(OWN)
    assert own.name == "own-cases" and own.layout == "nvbench1"
    assert len(own.cases) == 8
    first = own.cases[0]
    assert (first.db, first.table, first.chart, first.group) == ("shelter", "animals", "Bar", "v1")
    assert first.golds[0]["x"]["field"] == "species"


def test_a_folder_of_folders_is_one_set_each_and_bad_lines_are_reported(tmp_path: Path) -> None:
    shutil.copytree(OWN, tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "cases.jsonl").write_text('{"id": "x", "question": "q", "table": "t"}\n')
    with pytest.raises(BadRequest, match=r"cases.jsonl:1: not a case line"):
        discover(tmp_path)
    (tmp_path / "b" / "cases.jsonl").write_text(
        '{"id": "x", "question": "q", "table": "t", "accept": [{"mark": "line"}, {"mark": "bar"}]}\n'
    )
    sets = discover(tmp_path)
    assert [s.name for s in sets] == ["a", "b"]
    assert sets[1].cases[0].chart == "line" and len(sets[1].cases[0].golds) == 2
    assert sets[1].layout == "none"
    with pytest.raises(BadRequest, match="does not exist"):
        discover(tmp_path / "missing")


def test_stratified_sample_is_proportional_covers_every_chart_and_is_seeded() -> None:
    cases = make_cases(
        {"Bar": 700, "Pie": 70, "Line": 60, "Scatter": 50, "Stacked Bar": 40, "Grouping Line": 5}
    )
    picked = stratified_sample(cases, 40, seed=1)
    assert len(picked) == 40 and len({c.id for c in picked}) == 40
    counts = Counter(c.chart for c in picked)
    assert set(counts) == {"Bar", "Pie", "Line", "Scatter", "Stacked Bar", "Grouping Line"}
    assert counts["Bar"] == 1 + round(700 * 34 / 925)  # one each, the other 34 in proportion
    assert counts["Pie"] >= counts["Stacked Bar"] >= counts["Grouping Line"] == 1
    assert stratified_sample(cases, 40, seed=1) == picked
    assert stratified_sample(cases, 40, seed=2) != picked
    assert stratified_sample(cases, 5000, seed=1) == cases


def test_per_group_keeps_one_request_per_chart() -> None:
    cases = make_cases({"Bar": 9, "Pie": 4})
    picked = per_group(cases, seed=3)
    assert sorted(c.group for c in picked) == sorted({c.group for c in cases})
    assert per_group(cases, seed=3) == picked


def test_tables_are_built_with_schema_types_nulls_and_reused(tmp_path: Path) -> None:
    specs = nvbench1_databases(OWN / "tables")
    assert set(specs) == {"shelter", "orchard"}
    path = build_duckdb(specs["shelter"], tmp_path / "w1.duckdb")
    with duckdb.connect(str(path), read_only=True) as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'shelter' AND table_name = 'animals'"
            ).fetchall()
        )
        rows, nulls = conn.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE shelter_site IS NULL) FROM shelter.animals"
        ).fetchone()  # type: ignore[misc]
    assert types["intake_date"] == "DATE" and types["age_years"] == "INTEGER"
    assert types["weight_kg"] == "DOUBLE" and types["species"] == "VARCHAR"
    csv_lines = (OWN / "tables" / "shelter" / "animals.csv").read_text().splitlines()
    assert rows == len(csv_lines) - 1
    assert nulls == sum(1 for line in csv_lines[1:] if line.endswith(","))  # an empty field is NULL
    built = path.stat().st_mtime_ns
    assert build_duckdb(specs["shelter"], path).stat().st_mtime_ns == built  # unchanged: not rebuilt


def test_nvbench2_layout_is_one_database_per_table(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "icfp_1_Authorship.csv").write_text(
        'authid,"name, full",since\n1,"Ada ""A"" L",2001-02-03\n2,,\n'
    )
    schema = {"tables": [{"name": "icfp_1_Authorship", "file": "icfp_1_Authorship.csv", "rows": 2,
                          "source": {"db": "icfp_1", "table": "Authorship"},
                          "columns": [{"name": "authid", "type": "INTEGER"}, {"name": "name, full", "type": "VARCHAR"},
                                      {"name": "since", "type": "DATE"}]}]}  # fmt: skip
    (tables / "schema.json").write_text(json.dumps(schema))
    spec = nvbench2_databases(tables)["icfp_1_Authorship"]
    path = build_duckdb(spec, tmp_path / "w.duckdb")
    with duckdb.connect(str(path), read_only=True) as conn:
        got = conn.execute(
            'SELECT authid, "name, full", since FROM icfp_1."Authorship" ORDER BY 1'
        ).fetchall()
    assert got[0][1] == 'Ada "A" L' and str(got[0][2]) == "2001-02-03"
    assert got[1][1:] == (None, None)


def test_an_unknown_column_type_is_refused(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "schema.json").write_text(
        json.dumps({"db": "db", "tables": [{"name": "t", "columns": [{"name": "a", "type": "BLOB; DROP"}]}]})
    )
    with pytest.raises(BadRequest, match="unsupported type"):
        nvbench1_databases(tmp_path)


@pytest.mark.skipif(not (HANDOUT / "nvbench1-dev").is_dir(), reason="handout case folder not present")
def test_the_handout_gold_charts_score_themselves_100_percent() -> None:
    for case_set in discover(HANDOUT):
        for case in case_set.cases:
            verdict = judge(case.golds, [case.golds[-1]])
            assert verdict.both, case.id
    assert read_cases(HANDOUT / "nvbench1-dev").layout == "nvbench1"
