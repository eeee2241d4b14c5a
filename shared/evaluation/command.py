"""``bridge eval``: select cases, run them on a scratch or a team's container, print and save figures."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from shared.bootstrap import Container, get_container
from shared.errors import BridgeError
from shared.evaluation.cases import Case, CaseSet, discover, per_group, stratified_sample
from shared.evaluation.report import SetReport, table
from shared.evaluation.runner import CaseResult, Evaluation
from shared.settings import Settings, get_settings

DEFAULT_CASES = "../shared/eval"  # the handout folder beside the repository


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cases",
        type=Path,
        default=Path(os.environ.get("BRIDGE_EVAL_CASES") or DEFAULT_CASES),
        help=f"a cases.jsonl, a folder with one, or a folder of such folders "
        f"(default: $BRIDGE_EVAL_CASES or {DEFAULT_CASES})",
    )
    p.add_argument("--model", help="the model to evaluate (default: the configured one, e.g. offline)")
    pick = p.add_mutually_exclusive_group()
    pick.add_argument("--sample", type=int, help="N cases per set, stratified by chart type")
    pick.add_argument("--per-vis", action="store_true", help="one request per chart (nvBench VIS)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample / --per-vis")
    p.add_argument("--case-id", action="append", default=[], help="only this case (repeatable)")
    p.add_argument("--report", type=Path, help="write the JSON report (figures, cases, worst failures) here")
    p.add_argument("--baseline", type=Path, help="a previous --report, shown beside the figures")
    p.add_argument("--failures", type=int, default=20, help="worst failures kept in the report")
    p.add_argument("--team", help="ask on this team's own connection (its tables already scanned)")
    p.add_argument("--connection", help="connection id or name of --team")
    p.add_argument("--work", type=Path, help="where the case databases are built (default: data_dir/eval)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds a turn may take")
    p.add_argument("--quiet", action="store_true", help="no progress dots")
    p.add_argument(
        "--shard",
        help="K/N: run every N-th selected case from the K-th (N processes side by side, each with "
        "its own --work and --report; join them with --merge)",
    )
    p.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        metavar="REPORT",
        help="run nothing: join these shard reports into one table (and --report) over --cases",
    )
    p.add_argument(
        "--knowledge",
        help="also run with a team knowledge file: a YAML file, or 'starter' (each case database's "
        "starter file, unchanged); a set folder's own knowledge.yaml is used without this option",
    )


def select(case_set: CaseSet, args: argparse.Namespace) -> tuple[list[Case], str]:
    cases = case_set.cases
    if args.case_id:
        wanted = set(args.case_id)
        return [c for c in cases if c.id in wanted], f"{len(wanted)} chosen cases"
    if args.per_vis:
        return per_group(cases, args.seed), f"one request per chart (seed {args.seed})"
    if args.sample:
        picked = stratified_sample(cases, args.sample, args.seed)
        return picked, f"sample of {len(picked)}/{len(cases)} by chart type (seed {args.seed})"
    return list(cases), f"all {len(cases)} cases"


def scratch_container(
    model: str | None, base: Settings, data_dir: Path, duckdb_root: Path | None = None
) -> Container:
    """A container of embedded adapters on a fresh SQLite directory (nothing of the user's is touched);
    its connections may open DuckDB files under ``duckdb_root`` (default: its own user folder)."""
    from shared.db.migrate import upgrade

    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'bridge.db'}",
        object_store="local",
        key_manager="local",
        task_queue="inprocess",
        task_processes=0,  # the models it installs live in this process
        identity="local",
        model=model or base.model,
        model_region=base.model_region,
        gcp_project=base.gcp_project,
        auth_secret="eval-" + "0" * 40,
        duckdb_roots=str(duckdb_root) if duckdb_root else base.duckdb_roots,
    )
    c = Container(settings)
    upgrade(c.db.engine)
    return c


def team_container(c: Container, team_id: str, model: str | None) -> Container:
    """The configured container, or (with ``model``) one whose every model lookup for the team is ``model``.

    A team's own model setting wins over the configured default, so ``--model`` is installed under
    the team's (model, region) key on a container of this run only; the team is not changed.
    """
    if not model:
        return c
    from shared.adapters.model.registry import create_model
    from shared.db.models import Team

    run_c = Container(c.settings.replace(model=model))
    with run_c.db.session() as s:
        team = s.get(Team, team_id)
        key = (team.model, team.model_region) if team is not None else (None, None)
    if key[0]:
        run_c.install_model(create_model(model, settings=run_c.settings, region=key[1]), key[0], key[1])
    return run_c


def run(args: argparse.Namespace, container: Container | None = None, out: TextIO | None = None) -> int:
    """Run every selected set; print one table per set; 0 unless the run itself could not happen."""
    out = out or sys.stdout
    if bool(args.team) != bool(args.connection):
        print("bridge eval: --team and --connection go together", file=sys.stderr)
        return 2
    base = get_settings()
    scratch: Path | None = None
    if args.merge:
        return _merge(args, out)
    try:
        sets = discover(args.cases)
        if container is None:
            if args.team:
                container = team_container(get_container(), args.team, args.model)
            else:
                scratch = Path(tempfile.mkdtemp(prefix="bridge-eval-"))
                # the case databases stay cached in .bridge/eval across runs; the scratch run may open them
                container = scratch_container(args.model, base, scratch, args.work or base.data_dir / "eval")
        root = container.settings.duckdb_root_paths[0]  # case databases live inside BRIDGE_DUCKDB_ROOTS
        work = args.work or (root if scratch is not None else root / "eval")
        reports = run_sets(container, sets, args, work, out)
    except BridgeError as e:
        print(f"bridge eval: {e.message}", file=sys.stderr)
        return 2
    finally:
        if scratch is not None and container is not None:
            _close(container)
            shutil.rmtree(scratch, ignore_errors=True)
    _write_report(args, reports, out)
    return 0


def _merge(args: argparse.Namespace, out: TextIO) -> int:
    from shared.evaluation.shards import merge_reports

    try:
        reports = merge_reports(args.merge, discover(args.cases))
    except BridgeError as e:
        print(f"bridge eval: {e.message}", file=sys.stderr)
        return 2
    for report in reports:
        print(table(report), file=out, flush=True)
    _write_report(args, reports, out)
    return 0


def _write_report(args: argparse.Namespace, reports: list[SetReport], out: TextIO) -> None:
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        doc = {"sets": [r.to_json(args.failures) for r in reports]}
        args.report.write_text(json.dumps(doc, indent=1, default=str) + "\n")
        print(f"report: {args.report}", file=out)


def run_sets(
    c: Container, sets: list[CaseSet], args: argparse.Namespace, work: Path, out: TextIO
) -> list[SetReport]:
    """Each set's selected cases on one :class:`Evaluation`; prints its table as soon as it is done."""
    baseline = json.loads(args.baseline.read_text()) if args.baseline else {}
    evaluation = Evaluation(
        c, warehouses_dir=work, team=args.team, connection=args.connection, timeout_s=args.timeout
    )
    reports = []
    for case_set in sets:
        cases, how = select(case_set, args)
        if args.shard:
            from shared.evaluation.shards import shard_of

            cases, how = shard_of(cases, args.shard), f"{how}, shard {args.shard}"
        if not cases:
            continue
        for name, knowledge in _variants(case_set, getattr(args, "knowledge", None)):
            evaluation.knowledge = knowledge
            started = time.perf_counter()
            results = evaluation.run(case_set, cases, None if args.quiet else _dots(out, len(cases)))
            wall = time.perf_counter() - started
            report = SetReport(name, c.settings.model, how, results, evaluation.setup_seconds, wall)
            evaluation.setup_seconds = 0.0
            reports.append(report)
            base_set = next((b for b in baseline.get("sets", []) if b.get("set") == name), None)
            print(table(report, base_set), file=out, flush=True)
            if knowledge is not None and evaluation.knowledge_failures:
                print(f"knowledge file refused on {len(evaluation.knowledge_failures)} case database(s): "
                      + next(iter(evaluation.knowledge_failures.values())), file=out)  # fmt: skip
            evaluation.knowledge_failures = {}
        evaluation.knowledge = None
    return reports


def _variants(case_set: CaseSet, option: str | None) -> list[tuple[str, str | None]]:
    """The runs of one set: without a knowledge file, then with it (when there is one)."""
    own = case_set.folder / "knowledge.yaml"
    if option and option != "starter":
        knowledge: str | None = Path(option).read_text(encoding="utf-8")
    elif option == "starter":
        knowledge = "starter"
    else:
        knowledge = own.read_text(encoding="utf-8") if own.is_file() else None
    if knowledge is None:
        return [(case_set.name, None)]
    label = "starter knowledge" if knowledge == "starter" else "knowledge"
    return [(case_set.name, None), (f"{case_set.name} + {label}", knowledge)]


def _dots(out: TextIO, total: int) -> Any:
    marks = {"dashboard": ".", "no_chart": "k", "clarify": "?", "no_dashboard": "-", "error": "E"}

    def progress(n: int, r: CaseResult) -> None:
        out.write(marks[r.outcome] if not r.verdict.both else "+")
        if n % 80 == 0 or n == total:
            out.write(f" {n}/{total}\n")
        out.flush()

    return progress


def _close(c: Container) -> None:
    queue = c.__dict__.get("task_queue")
    if queue is not None and hasattr(queue, "close"):
        queue.close()
    c.db.engine.dispose()
