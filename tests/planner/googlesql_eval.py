"""The planner's SQL for the eval dev sets (nvBench 1.0 layout) through ZetaSQL's GoogleSQL analyzer.

Each case database is built from its ``schema.json`` twice over: into a DuckDB file the product
connects to (``bridge eval``'s own builder and onboarding), and into the analyzer's catalog with
the BigQuery type of each ``schema.json`` type. Each case is one chat turn through the product
(offline planner, agent steps on the task queue, Bridge's tools); every query of the saved
dashboard is analysed with the dashboard's bound parameters.

``python -m tests.planner.googlesql_eval [--cases DIR] [--sample N] [--report FILE]`` checks the
whole set (``make googlesql-eval``) and prints how many queries pass and why the others fail.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.adapters.warehouse.port import QueryParam
from shared.bootstrap import Container
from shared.dashboards.params import bind_parameters
from shared.evaluation import onboard
from shared.evaluation.cases import Case, CaseSet, discover, per_group, stratified_sample
from shared.evaluation.command import scratch_container
from shared.evaluation.runner import PROJECT, Evaluation, Target
from shared.evaluation.tables import DatabaseSpec, nvbench1_databases
from shared.evaluation.turns import TurnOutcome
from shared.settings import Settings

from .googlesql import GoogleSqlAnalyzer

ROOT = Path(__file__).resolve().parents[2]
# The handout folder beside the repository (read at run time only), as the Makefile's EVAL_CASES.
BATCH = 50  # cases whose queries are analysed together (one request per case database)
EVAL_FOLDERS = (ROOT.parent / "shared" / "eval", Path("/work/shared/eval"))
# schema.json's DuckDB types → the BigQuery column type a loaded table has (ZetaSQL type kind).
SCHEMA_KINDS = {
    "INTEGER": "TYPE_INT64",
    "BIGINT": "TYPE_INT64",
    "SMALLINT": "TYPE_INT64",
    "DOUBLE": "TYPE_DOUBLE",
    "FLOAT": "TYPE_DOUBLE",
    "REAL": "TYPE_DOUBLE",
    "VARCHAR": "TYPE_STRING",
    "DATE": "TYPE_DATE",
    "TIMESTAMP": "TYPE_TIMESTAMP",
    "BOOLEAN": "TYPE_BOOL",
}


def eval_sets(folder: Path | None = None) -> list[CaseSet]:
    """The eval case sets with an nvBench 1.0 ``tables/`` folder (none when the handout is absent)."""
    for candidate in [folder] if folder else EVAL_FOLDERS:
        if candidate and candidate.is_dir():
            return [s for s in discover(candidate) if s.layout == "nvbench1"]
    return []


def catalog_of(spec: DatabaseSpec) -> list[dict[str, Any]]:
    """The analyzer's tables for one case database, straight from its schema.json."""
    return [
        {
            "name": f"{PROJECT}.{spec.name}.{t.name}",
            "columns": [[name, SCHEMA_KINDS[kind]] for name, kind in t.columns],
        }
        for t in spec.tables
    ]


@dataclass
class QueryCheck:
    name: str
    sql: str
    error: str | None


@dataclass
class CaseCheck:
    """One case: how its turn ended and each saved query's analysis."""

    case_id: str
    db: str
    outcome: str  # the eval's class: dashboard | no_chart | clarify | no_dashboard | error
    queries: list[QueryCheck] = field(default_factory=list)
    reply: str = ""

    @property
    def failures(self) -> list[QueryCheck]:
        return [q for q in self.queries if q.error]


class EvalSqlChecker:
    """The eval's own runner (one scratch container, offline planner) with a hook that collects each
    saved dashboard's queries; they are analysed in batches against one analyzer, on a catalog
    registered once per case database."""

    def __init__(
        self, case_set: CaseSet, analyzer: GoogleSqlAnalyzer, work: Path, batch: int = BATCH
    ) -> None:
        self.case_set, self.analyzer, self.batch = case_set, analyzer, batch
        self.specs = nvbench1_databases(case_set.tables_dir)
        work.mkdir(parents=True, exist_ok=True)
        self.container: Container = scratch_container("offline", Settings(), work / "directory", work)
        self.evaluation = Evaluation(self.container, warehouses_dir=work)
        self.evaluation.on_turn = self._collect
        self._catalogs: dict[str, str] = {}  # case database -> registered catalog id
        self._queries: list[tuple[str, QueryCheck, tuple[QueryParam, ...]]] = []  # not yet analysed
        self._turn: CaseCheck | None = None

    def _catalog(self, spec: DatabaseSpec, target: Target) -> str:
        if spec.name not in self._catalogs:
            tables = catalog_of(spec)
            # DuckDB's names are case-insensitive (as ZetaSQL's catalog lookups): compare folded
            scanned = {
                fq.lower() for fq in onboard.table_names(self.container, target.connection_id).values()
            }
            expected = {t["name"].lower() for t in tables}
            assert scanned == expected, f"{spec.name}: scanned {scanned}, schema.json {expected}"
            self._catalogs[spec.name] = self.analyzer.register(tables)
        return self._catalogs[spec.name]

    def _collect(self, case: Case, target: Target, outcome: TurnOutcome) -> None:
        spec = self.specs[case.db or case.table]
        self._turn = checked = CaseCheck(case.id, spec.name, "", reply=outcome.message)
        if outcome.yaml is None:
            return
        dashboard = yaml.safe_load(outcome.yaml)
        params = bind_parameters(dashboard, {})
        catalog = self._catalog(spec, target)
        for name, query in (dashboard.get("queries") or {}).items():
            used = tuple(p for p in params if re.search(rf"@{re.escape(p.name)}\b", query["sql"]))
            checked.queries.append(QueryCheck(name, query["sql"], None))
            self._queries.append((catalog, checked.queries[-1], used))

    def check(self, case: Case) -> CaseCheck:
        """One chat turn through the eval's runner; its queries are analysed by the next :meth:`flush`."""
        self._turn = None
        result = self.evaluation.run_case(self.case_set, case)
        checked = self._turn or CaseCheck(case.id, case.db or case.table, "", reply=result.reply)
        checked.outcome = result.outcome
        return checked

    def flush(self) -> None:
        """Analyse the collected queries: one round trip per case database."""
        by_catalog: dict[str, list[tuple[QueryCheck, tuple[QueryParam, ...]]]] = {}
        for catalog, query, used in self._queries:
            by_catalog.setdefault(catalog, []).append((query, used))
        self._queries = []
        for catalog, queries in by_catalog.items():
            errors = self.analyzer.analyze_many(catalog, [(q.sql, used) for q, used in queries])
            for (query, _), error in zip(queries, errors, strict=True):
                query.error = error

    def close(self) -> None:
        queue = self.container.__dict__.get("task_queue")
        if queue is not None:
            queue.close()
        self.container.db.engine.dispose()


def cause(error: str) -> str:
    """An analyzer error without its position, names and literals: failures group by their cause."""
    text = re.sub(r"\s*\[at \d+:\d+\].*$", "", error)
    text = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"", "…", text)
    text = re.sub(
        r"(Unrecognized name|Syntax error: Unexpected \w+|not found inside \w+): \S+", r"\1: …", text
    )
    return re.sub(r"\b\d+\b", "N", text).strip()


def check_cases(
    case_set: CaseSet,
    cases: list[Case],
    work: Path,
    progress: Callable[[int, CaseCheck], None] | None = None,
    analyzer: GoogleSqlAnalyzer | None = None,
) -> Iterator[CaseCheck]:
    """Each case's check, in order (one analyzer, started here unless given)."""
    own = analyzer is None
    server = analyzer or GoogleSqlAnalyzer()
    checker = EvalSqlChecker(case_set, server, work)
    done: list[CaseCheck] = []  # checked cases whose queries await their batch's analysis
    try:
        for n, case in enumerate(cases, 1):
            done.append(checker.check(case))
            if n == len(cases) or len(done) >= checker.batch:
                checker.flush()
                for k, result in enumerate(done, n - len(done) + 1):
                    if progress:
                        progress(k, result)
                    yield result
                done = []
    finally:
        checker.close()
        if own:
            server.close()


def summary(results: list[CaseCheck], seconds: float) -> dict[str, Any]:
    queries = [q for r in results for q in r.queries]
    failed = [q for q in queries if q.error]
    causes = Counter(cause(q.error or "") for q in failed)
    examples: dict[str, dict[str, str]] = {}
    for r in results:
        for q in r.failures:
            examples.setdefault(
                cause(q.error or ""), {"case": r.case_id, "error": q.error or "", "sql": q.sql}
            )
    return {
        "cases": len(results),
        "outcomes": dict(Counter(r.outcome for r in results)),
        "queries": len(queries),
        "passed": len(queries) - len(failed),
        "failed": len(failed),
        "cases_with_a_failure": sum(1 for r in results if r.failures),
        "seconds": round(seconds, 1),
        "causes": [{"cause": c, "n": n, "example": examples[c]} for c, n in causes.most_common()],
    }


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one set from those of disjoint slices (``--slice``) run side by side."""
    total: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    examples: dict[str, dict[str, str]] = {}
    for part in parts:
        for key in ("cases", "queries", "passed", "failed", "cases_with_a_failure"):
            total[key] += part[key]
        outcomes.update(part["outcomes"])
        for c in part["causes"]:
            causes[c["cause"]] += c["n"]
            examples.setdefault(c["cause"], c["example"])
    return {
        "set": parts[0]["set"],
        "of": sum(part["of"] for part in parts),
        "cases": total["cases"],
        "outcomes": dict(outcomes),
        **{key: total[key] for key in ("queries", "passed", "failed", "cases_with_a_failure")},
        "seconds": max(part["seconds"] for part in parts),  # the slices ran side by side
        "causes": [{"cause": c, "n": n, "example": examples[c]} for c, n in causes.most_common()],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="googlesql-eval", description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=Path, help="the eval folder (default: ../shared/eval)")
    p.add_argument("--sample", type=int, help="N cases per set, stratified by chart type")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--per-vis", action="store_true", help="one request per chart (nvBench VIS)")
    p.add_argument(
        "--slice",
        default=":",
        help="START:STOP of the seeded order only (runs of disjoint slices add up to the whole set)",
    )
    p.add_argument("--report", type=Path, help="write the JSON summary here (rewritten every 100 cases)")
    p.add_argument("--merge", type=Path, nargs="+", help="add up these slices' reports instead of running")
    args = p.parse_args(argv)
    if args.merge:
        by_set: dict[str, list[dict[str, Any]]] = {}
        for path in args.merge:
            for one in json.loads(path.read_text())["sets"]:
                by_set.setdefault(one["set"], []).append(one)
        total = {"sets": [merged(parts) for parts in by_set.values()]}
        for one in total["sets"]:
            _print(one)
        if args.report:
            _write(args.report, total)
        return 0
    sets = eval_sets(args.cases)
    if not sets:
        print("googlesql-eval: no nvBench 1.0 case folder found", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bridge-googlesql-"))
    doc: dict[str, Any] = {"sets": []}
    try:
        for case_set in sets:
            one = _run_set(case_set, _select(case_set, args), work / case_set.name, args.report, doc)
            doc["sets"].append(one)
            _print(one)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.report:
        _write(args.report, doc)
        print(f"report: {args.report}")
    return 0


def _print(one: dict[str, Any]) -> None:
    print(
        f"{one['set']}: {one['cases']} cases, {one['queries']} queries, "
        f"{one['passed']} pass GoogleSQL analysis, {one['failed']} fail"
    )
    for c in one["causes"]:
        print(f"  {c['n']:5d}  {c['cause']}")


def _run_set(
    case_set: CaseSet, cases: list[Case], work: Path, report: Path | None, doc: dict[str, Any]
) -> dict[str, Any]:
    """One set's figures; with ``report``, the figures so far are rewritten every 100 cases."""
    started = time.perf_counter()
    results: list[CaseCheck] = []

    def figures() -> dict[str, Any]:
        return {"set": case_set.name, "of": len(cases), **summary(results, time.perf_counter() - started)}

    def dot(n: int, r: CaseCheck) -> None:
        results.append(r)
        sys.stdout.write("F" if r.failures else ("." if r.queries else "-"))
        if n % 80 == 0 or n == len(cases):
            sys.stdout.write(f" {n}/{len(cases)}\n")
        sys.stdout.flush()
        if report and n % 100 == 0:  # a long run stopped early still leaves its figures
            _write(report, {"sets": [*doc["sets"], figures()]})

    for _ in check_cases(case_set, cases, work, dot):
        pass
    return figures()


def _select(case_set: CaseSet, args: argparse.Namespace) -> list[Case]:
    """The sample, one request per VIS, or every case; in a seeded random order, so that the figures
    of a run stopped early are those of a random subset; ``--slice`` keeps part of that order."""
    if args.sample:
        cases = stratified_sample(case_set.cases, args.sample, args.seed)
    elif args.per_vis:
        cases = per_group(case_set.cases, args.seed)
    else:
        cases = list(case_set.cases)
    random.Random(args.seed).shuffle(cases)
    start, _, stop = args.slice.partition(":")
    return cases[int(start) if start else None : int(stop) if stop else None]


def _write(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
