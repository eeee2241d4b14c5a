"""Run case sets through the chat path: build and onboard each database once, one turn per case."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.adapters.identity.port import Principal
from shared.bootstrap import Container
from shared.errors import BadRequest, BridgeError
from shared.evaluation import onboard
from shared.evaluation.cases import Case, CaseSet
from shared.evaluation.predict import dashboard_views
from shared.evaluation.scoring import Verdict, judge
from shared.evaluation.tables import DatabaseSpec, build_duckdb, nvbench1_databases, nvbench2_databases
from shared.evaluation.turns import TurnOutcome, run_turn

log = logging.getLogger("bridge.eval")
PROJECT = "nvbench"  # the catalog alias of every eval warehouse file


@dataclass
class CaseResult:
    """What happened to one case: the outcome class, the views read from its dashboard, the verdict."""

    case: Case
    outcome: str  # dashboard | no_chart | clarify | no_dashboard | error
    seconds: float
    reply: str
    views: list[dict[str, Any]]
    verdict: Verdict
    error: str | None = None
    tool_calls: list[str] = field(default_factory=list)
    agent_seconds: float = 0.0

    @property
    def overhead_seconds(self) -> float:
        """The eval's own share of the case: session, polling, reading and scoring the dashboard."""
        return max(0.0, self.seconds - self.agent_seconds) if self.agent_seconds else 0.0


@dataclass
class Target:
    """Where a case's question is asked: a principal, team and connection, and the table's full name."""

    who: Principal
    team_id: str
    connection_id: str
    table: str | None


def classify(outcome: TurnOutcome, views: list[dict[str, Any]]) -> str:
    if outcome.status != "done":
        return "error"
    if outcome.yaml is None:
        return "clarify" if "?" in outcome.message else "no_dashboard"
    return "dashboard" if any(v.get("mark") != "table" for v in views) else "no_chart"


def judge_case(case: Case, outcome: TurnOutcome) -> CaseResult:
    started = time.perf_counter()
    views = dashboard_views(outcome.yaml) if outcome.yaml else []
    outcome.seconds += time.perf_counter() - started  # reading the dashboard is part of the case
    kind = classify(outcome, views)
    error = None if kind != "error" else f"turn {outcome.status}: {outcome.message}"[:500]
    return CaseResult(
        case,
        kind,
        outcome.seconds,
        outcome.message,
        views,
        judge(case.golds, views),
        error,
        outcome.tool_calls,
        outcome.agent_seconds,
    )


def _databases(case_set: CaseSet) -> dict[str, DatabaseSpec]:
    if case_set.layout == "nvbench1":
        return nvbench1_databases(case_set.tables_dir)
    if case_set.layout == "nvbench2":
        return nvbench2_databases(case_set.tables_dir)
    raise BadRequest(
        f"{case_set.folder} has no tables/ folder; run its cases on your own connection (--team, --connection)"
    )


def _database_key(case_set: CaseSet, case: Case) -> str:
    return case.db if case_set.layout == "nvbench1" and case.db else case.table


class Evaluation:
    """One eval run on one container (one team, one connection per case database, built once)."""

    def __init__(
        self,
        c: Container,
        *,
        warehouses_dir: Path,
        team: str | None = None,
        connection: str | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self.c, self.warehouses_dir, self.timeout_s = c, warehouses_dir, timeout_s
        self.team, self.connection = team, connection
        # called with each case's turn outcome once its connection is set up (e.g. to collect its SQL)
        self.on_turn: Callable[[Case, Target, TurnOutcome], None] | None = None
        self._targets: dict[str, tuple[Principal, str, str]] = {}
        self._tables: dict[str, dict[str, str]] = {}
        self.setup_seconds = 0.0
        self.knowledge: str | None = None  # None, "starter" or a knowledge file's text: saved per connection
        self.knowledge_failures: dict[str, str] = {}  # connection id -> why its file was not saved
        self._knowledge_on: tuple[str, str] | None = None  # (connection, mode) the team's file is for
        if team and connection:  # a team's own connection must exist before any case runs
            who, conn_id = onboard.existing_connection(c, team, connection)
            self._targets[f"team:{team}:{connection}"] = (who, team, conn_id)

    def _target(self, case_set: CaseSet, case: Case) -> Target:
        started = time.perf_counter()
        if self.team and self.connection:
            key = f"team:{self.team}:{self.connection}"
            if key not in self._targets:
                who, conn_id = onboard.existing_connection(self.c, self.team, self.connection)
                self._targets[key] = (who, self.team, conn_id)
        else:
            key = f"{case_set.folder}:{_database_key(case_set, case)}"
            if key not in self._targets:
                specs = _databases(case_set)
                spec = specs.get(_database_key(case_set, case))
                if spec is None:
                    raise BadRequest(f"case {case.id}: no tables for {_database_key(case_set, case)!r}")
                name = f"{case_set.name}-{_database_key(case_set, case)}"
                path = build_duckdb(spec, self.warehouses_dir / case_set.name / f"{name}.duckdb")
                who = onboard.eval_user()
                team_id = onboard.ensure_team(self.c, who)
                self._targets[key] = (
                    who,
                    team_id,
                    onboard.ensure_connection(self.c, who, team_id, name, path, PROJECT),
                )
        who, team_id, conn_id = self._targets[key]
        if self.knowledge is not None and self._knowledge_on != (conn_id, self.knowledge):
            self._knowledge_on = (conn_id, self.knowledge)
            problem = onboard.use_knowledge(self.c, who, team_id, conn_id, self.knowledge)
            if problem:
                self.knowledge_failures[conn_id] = problem
        if conn_id not in self._tables:
            self._tables[conn_id] = onboard.table_names(self.c, conn_id)
        self.setup_seconds += time.perf_counter() - started
        return Target(who, team_id, conn_id, self._tables[conn_id].get(case.table.lower()))

    def run_case(self, case_set: CaseSet, case: Case) -> CaseResult:
        started = time.perf_counter()
        target: Target | None = None
        try:
            target = self._target(case_set, case)
            outcome = run_turn(
                self.c,
                target.who,
                target.team_id,
                target.connection_id,
                case.question,
                timeout_s=self.timeout_s,
                forget=True if self.team else "any",  # every case meets the same team state
            )
        except BridgeError as e:
            outcome = TurnOutcome(
                "failed", f"{e.code}: {e.message}", None, None, time.perf_counter() - started, []
            )
        except Exception as e:  # a crash in the product is an error of this case, not of the run
            log.exception("case %s crashed", case.id)
            outcome = TurnOutcome(
                "failed", f"{type(e).__name__}: {e}", None, None, time.perf_counter() - started, []
            )
        if self.on_turn is not None and target is not None:  # outside the try: its errors are not the case's
            self.on_turn(case, target, outcome)
        return judge_case(case, outcome)

    def run(
        self, case_set: CaseSet, cases: list[Case], progress: Callable[[int, CaseResult], None] | None = None
    ) -> list[CaseResult]:
        results = []
        for n, case in enumerate(cases, 1):
            result = self.run_case(case_set, case)
            results.append(result)
            if progress is not None:
                progress(n, result)
        return results
