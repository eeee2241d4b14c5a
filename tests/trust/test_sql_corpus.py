"""The SQL guard corpus through every entry: dashboard save (PUT), the agent's dry-run tool, data serving.

Each hostile statement is refused before any warehouse call (counted on the real DuckDB adapter);
each huge CROSS JOIN over the team's own tables ends in ``byte_cap_exceeded`` without executing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
import yaml

from shared.adapters.identity.port import Principal
from shared.bootstrap import Container
from shared.db.models import Team

from .corpus import CAP, CORPUS, OTHER_CONNECTION_TABLE, REJECT, ZERO_BYTE_CROSS_JOIN, Hostile
from .figures import record
from .helpers import SQLITE_ONLY, TIMEOUT, TeamIds, WarehouseCalls, onboard, put_yaml, repair_at_once

TEAM_CAP = 20_000  # bytes: every CAP statement reads more, the controls read less
REFUSED_CODES = {"unsafe_sql", "validation_failed", "bad_request", "byte_cap_exceeded"}
CONTROL_SQL = "SELECT name, latitude FROM `demo.thelook_ecommerce.distribution_centers` ORDER BY name"


def dashboard_yaml(sql: str, column: str = "name") -> str:
    """A dashboard whose only query is ``sql`` (YAML-escaped, so any text survives the trip)."""
    doc = {
        "version": 1,
        "title": "Corpus",
        "queries": {"q": {"sql": sql}},
        "views": [
            {
                "id": "t",
                "type": "table",
                "query": "q",
                "columns": [{"field": column}],
                "layout": {"x": 0, "y": 0, "w": 12, "h": 4},
            }
        ],
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10**9)


@dataclass
class CorpusEnv:
    server: Any
    container: Container
    a: TeamIds
    calls: WarehouseCalls


@pytest.fixture
def corpus_env(
    dev_server: Any,
    token: Any,
    container: Container,
    calls: WarehouseCalls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> CorpusEnv:
    from shared.services import precompute

    # Cache warming on save is not under test here; off, so only the entry under test calls the warehouse.
    monkeypatch.setattr(precompute, "handle_task", lambda c, payload: None)
    repair_at_once(monkeypatch)  # planted objects stand for old tampered ones
    a = onboard(dev_server, token, "alice@a.example", "Team A")
    with container.db.session() as s:
        team = s.get(Team, a.team_id)
        assert team is not None
        team.byte_cap = TEAM_CAP
    # team B's own warehouse: its table names must never be readable from team A's connection
    other = container.settings.duckdb_root_paths[0] / "bprod.duckdb"
    other.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(other))
    con.execute("CREATE SCHEMA sales; CREATE TABLE sales.secret AS SELECT 42 AS pay")
    con.close()
    h = token("bob@b.example")
    team_b = requests.post(
        f"{dev_server.url}/v1/teams", json={"name": "B"}, headers=h, timeout=TIMEOUT
    ).json()
    conn = requests.post(
        f"{dev_server.url}/v1/teams/{team_b['id']}/connections",
        json={"name": "own", "warehouse_type": "duckdb", "path": str(other), "project": "bprod"},
        headers=h,
        timeout=TIMEOUT,
    ).json()
    scanned = requests.post(f"{dev_server.url}/v1/connections/{conn['id']}/scan", headers=h, timeout=TIMEOUT)
    assert scanned.json()["tables"] == 1 and OTHER_CONNECTION_TABLE.startswith("bprod.")
    return CorpusEnv(dev_server, container, a, calls)


class Tally:
    """Per-entry outcome counts for the figures table, plus every unexpected outcome."""

    def __init__(self, entry: str) -> None:
        self.entry, self.tried, self.rejected, self.problems = entry, 0, 0, []

    def check(
        self, case: Hostile, refused: bool, calls: dict[str, int], booms: list[str], detail: str
    ) -> None:
        self.tried += 1
        self.rejected += refused
        where = f"{self.entry} [{case.category}] {case.sql[:80]!r}"
        if not refused:
            self.problems.append(f"{where}: not refused ({detail})")
        if case.outcome == REJECT and calls:
            self.problems.append(f"{where}: reached the warehouse {dict(calls)}")
        if booms:
            self.problems.append(f"{where}: the warehouse executed it")

    def report(self) -> None:
        record(
            f"sql guard: {self.entry}", tried=self.tried, rejected=self.rejected, errors=len(self.problems)
        )
        assert self.problems == []


def test_corpus_is_big_and_varied() -> None:
    categories = {c.category for c in CORPUS}
    assert len(CORPUS) >= 60 and sum(c.outcome == CAP for c in CORPUS) >= 3
    assert {
        "dml",
        "ddl",
        "scripting",
        "multi-statement",
        "export-load",
        "external",
        "cross-project",
    } <= categories
    assert {"information-schema", "comment-quoting", "unicode", "huge-cross-join"} <= categories


@SQLITE_ONLY
def test_corpus_through_dashboard_save(corpus_env: CorpusEnv) -> None:
    env, tally = corpus_env, Tally("dashboard save (PUT)")
    control = put_yaml(env.server, env.a.headers, env.a.team_id, "control", dashboard_yaml(CONTROL_SQL))
    assert control.status_code == 201, control.text
    assert env.calls.with_sql(CONTROL_SQL), "the warehouse spy must see the control's dry run"
    for i, case in enumerate(CORPUS):
        slug = f"hostile-{i}"
        r = put_yaml(env.server, env.a.headers, env.a.team_id, slug, dashboard_yaml(case.sql))
        code = (
            r.json().get("error", {}).get("code")
            if r.headers["Content-Type"].startswith("application/json")
            else None
        )
        expected = {"byte_cap_exceeded"} if case.outcome == CAP else REFUSED_CODES - {"byte_cap_exceeded"}
        refused = r.status_code in (400, 422) and code in expected
        stored = env.container.store("dashboards").head(f"{env.a.team_id}/{slug}.yaml")
        if stored is not None:
            refused = False
        tally.check(
            case,
            refused,
            env.calls.with_sql(case.sql),
            env.calls.executed_matching("boom"),
            f"{r.status_code} {code}",
        )
    tally.report()


@SQLITE_ONLY
def test_corpus_through_the_agent_dry_run_tool(corpus_env: CorpusEnv) -> None:
    try:
        from shared.agent.tools import build_registry
    except ImportError as err:  # pragma: no cover - the tools module is being written in parallel
        pytest.skip(f"shared.agent.tools is not available yet: {err}")
    from shared.agent.context import AgentContext

    env, tally = corpus_env, Tally("agent run_dry_run_query")
    registry = build_registry()
    ctx = AgentContext(
        env.container,
        env.a.team_id,
        env.a.connection_id,
        Principal("alice@a.example", "alice@a.example"),
        "s",
        "t",
    )
    control = registry.call("run_dry_run_query", {"sql": CONTROL_SQL}, ctx)
    assert control.ok and control.result["passed"], control
    assert env.calls.with_sql(CONTROL_SQL), "the warehouse spy must see the control's dry run"
    ctx.state.dry_run_passed.clear()
    for case in CORPUS:
        outcome = registry.call("run_dry_run_query", {"sql": case.sql}, ctx)
        if outcome.ok:
            code = (outcome.result.get("error") or {}).get("code")
            refused = outcome.result["passed"] is False
        else:
            code, refused = outcome.error.code if outcome.error else None, True
        expected = {"byte_cap_exceeded"} if case.outcome == CAP else REFUSED_CODES - {"byte_cap_exceeded"}
        refused = refused and code in expected
        tally.check(
            case, refused, env.calls.with_sql(case.sql), env.calls.executed_matching("boom"), f"code {code}"
        )
    assert ctx.state.dry_run_passed == {}, "a hostile statement was recorded as dry-run-passed"
    tally.report()


@SQLITE_ONLY
def test_corpus_through_the_agent_save_tool_even_with_a_forged_dry_run(corpus_env: CorpusEnv) -> None:
    """Defence in depth: the save tool refuses hostile SQL even when the turn's state claims it passed."""
    try:
        from shared.agent.tools import build_registry
    except ImportError as err:  # pragma: no cover - the tools module is being written in parallel
        pytest.skip(f"shared.agent.tools is not available yet: {err}")
    from shared.agent.context import AgentContext, sql_fingerprint

    env, tally = corpus_env, Tally("agent save_dashboard_yaml")
    registry = build_registry()
    ctx = AgentContext(
        env.container,
        env.a.team_id,
        env.a.connection_id,
        Principal("alice@a.example", "alice@a.example"),
        "s",
        "t",
    )
    for i, case in enumerate(CORPUS):
        ctx.state.dry_run_passed[sql_fingerprint(case.sql)] = 1  # as if the model had forged its state
        slug = f"agent-{i}"
        outcome = registry.call("save_dashboard_yaml", {"slug": slug, "yaml": dashboard_yaml(case.sql)}, ctx)
        code = outcome.error.code if outcome.error else None
        expected = {"byte_cap_exceeded"} if case.outcome == CAP else REFUSED_CODES - {"byte_cap_exceeded"}
        stored = env.container.store("dashboards").head(f"{env.a.team_id}/{slug}.yaml")
        refused = not outcome.ok and code in expected and stored is None
        tally.check(
            case,
            refused,
            env.calls.with_sql(case.sql),
            env.calls.executed_matching("boom"),
            f"ok={outcome.ok} code {code}",
        )
    tally.report()


def _plant(env: CorpusEnv, slug: str, text: str) -> None:
    """Write a dashboard object directly, as a tampered or legacy object would be (no save checks)."""
    env.container.store("dashboards").put(
        f"{env.a.team_id}/{slug}.yaml",
        text.encode(),
        content_type="application/yaml",
        metadata={
            "version": "1",
            "team_id": env.a.team_id,
            "slug": slug,
            "connection_id": env.a.connection_id,
            "author": "alice@a.example",
        },
    )


@SQLITE_ONLY
def test_corpus_through_data_serving(corpus_env: CorpusEnv) -> None:
    env, tally = corpus_env, Tally("data serving (GET data)")
    _plant(env, "control", dashboard_yaml(CONTROL_SQL))
    url = f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards/{{}}/data"
    control = requests.get(url.format("control"), headers=env.a.headers, timeout=TIMEOUT)
    assert control.status_code == 200 and control.json()["views"][0]["status"] == "ok", control.text
    assert env.calls.with_sql(CONTROL_SQL).get("query"), "the warehouse spy must see the control's query"
    for i, case in enumerate(CORPUS):
        slug = f"planted-{i}"
        _plant(env, slug, dashboard_yaml(case.sql))
        r = requests.get(url.format(slug), headers=env.a.headers, timeout=TIMEOUT)
        body = r.json()
        if r.status_code == 200:
            codes = {(v.get("error") or {}).get("code") for v in body["views"]}
            expected = {"byte_cap_exceeded"} if case.outcome == CAP else REFUSED_CODES - {"byte_cap_exceeded"}
            refused = all(v["status"] == "error" for v in body["views"]) and codes <= expected
            detail = f"200 {codes}"
        else:  # the stored document itself no longer validates: a clean JSON error, nothing run
            refused = r.status_code >= 400 and set(body) == {"error"}
            detail = f"{r.status_code} {body.get('error', {}).get('code')}"
        tally.check(case, refused, env.calls.with_sql(case.sql), env.calls.executed_matching("boom"), detail)
    tally.report()


@SQLITE_ONLY
def test_row_exploding_cross_join_is_refused_before_it_runs(corpus_env: CorpusEnv) -> None:
    """A CROSS JOIN that reads 0 column bytes but multiplies rows (24k^3) must not be accepted.

    BigQuery bills 0 bytes for COUNT(*), so the byte cap cannot catch it; it must be refused at
    save (or the tool's dry run must fail it), never saved for serving to run until its timeout.
    """
    env = corpus_env
    r = put_yaml(
        env.server, env.a.headers, env.a.team_id, "explode", dashboard_yaml(ZERO_BYTE_CROSS_JOIN, "boom")
    )
    assert env.calls.executed_matching("boom") == []
    refused = r.status_code in (400, 422)
    record("sql guard: row-exploding CROSS JOIN", tried=1, rejected=int(refused), errors=int(not refused))
    assert r.status_code in (400, 422), f"accepted a row-exploding CROSS JOIN: {r.status_code} {r.text[:300]}"
