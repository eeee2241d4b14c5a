"""``bridge eval`` with a team knowledge file: each set runs without it, then with it, both reported."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path

from sqlalchemy import func, select

from shared.db.models import TeamKnowledgeVersion
from shared.evaluation.command import add_arguments, run, scratch_container
from shared.settings import Settings

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "own-cases"


def args_of(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


KNOWLEDGE = """\
version: 1
metrics:
  - name: total_weight
    synonyms: [weight]
    sql: SUM(animals.weight_kg)
    format: number
"""


def _run(tmp_path: Path, cases: Path, *extra: str) -> tuple[dict, str, int]:  # type: ignore[type-arg]
    c = scratch_container("offline", Settings(), tmp_path / "data")
    report, out = tmp_path / "r.json", io.StringIO()
    args = args_of("--cases", str(cases), "--report", str(report), "--quiet", *extra)
    try:
        assert run(args, container=c, out=out) == 0
        with c.db.session() as s:
            saved = s.scalar(select(func.count()).select_from(TeamKnowledgeVersion)) or 0
    finally:
        if "task_queue" in c.__dict__:
            c.__dict__["task_queue"].close()
        c.db.engine.dispose()
    return json.loads(report.read_text()), out.getvalue(), saved


def test_the_starter_file_runs_beside_the_plain_run(tmp_path: Path) -> None:
    doc, out, saved = _run(tmp_path, OWN, "--knowledge", "starter")
    plain, starter = doc["sets"]
    assert (plain["set"], starter["set"]) == ("own-cases", "own-cases + starter knowledge")
    assert plain["overall"]["n"] == starter["overall"]["n"] == 8
    assert [r["id"] for r in plain["cases"]] == [r["id"] for r in starter["cases"]]
    assert "== bridge eval: own-cases + starter knowledge" in out and "refused" not in out
    assert saved == 2  # one starter per case database, each saved (guarded and dry-run) unchanged


def test_a_set_folders_own_knowledge_file_is_used_and_a_refusal_is_reported(tmp_path: Path) -> None:
    cases = tmp_path / "own-cases"
    shutil.copytree(OWN, cases)
    (cases / "knowledge.yaml").write_text(KNOWLEDGE)
    doc, out, saved = _run(tmp_path, cases)
    assert [s["set"] for s in doc["sets"]] == ["own-cases", "own-cases + knowledge"]
    # the file names the shelter's table: it is saved there, and refused on the orchard database
    assert saved == 1
    assert "knowledge file refused on 1 case database(s)" in out and "no table 'animals'" in out
