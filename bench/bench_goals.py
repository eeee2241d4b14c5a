"""Issue 20's goals, each a ratio measured in pairs within one run against its own baseline.

* forced miss (POST refresh of the six-view dashboard) vs the same SQL run directly in DuckDB
  (transpiled once outside the timing, executed on a plain read-only attach of the same file),
  at demo scale 1 and 10, interleaved round by round;
* cache-hit p50 vs ``/healthz`` p50, interleaved request by request;
* cold process (import ``functions/serve_data/main.py`` + the first cached GET) vs a process
  importing Google's SDKs eagerly, alternated;
* RSS after 1,000 distinct data requests (distinct parameter values: each one a miss);
* a 2,000-table DuckDB file: catalog scan time and the RSS it adds.

Every figure is min / median of ``ROUNDS`` (>= 3) rounds; ``bench.bench_goals_chat`` has the chat ones.
``BENCH_GOALS`` picks some of them (comma-separated: ``miss``, ``hit``, ``coldstart``, ``rss``,
``scan``; default all), e.g. the cold start alone:

.venv/bin/python -m bench --only goals
BENCH_GOALS=coldstart BENCH_SCALES=1 .venv/bin/python -m bench --only goals
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.common import ROOT_DIR, Server, dev_server, goal_row, pct

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
DISTINCT_REQUESTS = int(os.environ.get("BENCH_DISTINCT", "1000"))
SCALES = tuple(float(x) for x in os.environ.get("BENCH_SCALES", "1,10").split(","))
GOALS = frozenset(
    g.strip() for g in os.environ.get("BENCH_GOALS", "miss,hit,coldstart,rss,scan").split(",") if g.strip()
)
SIX_VIEWS = Path(__file__).with_name("six_views.yaml")
RSS_BOUND_MB = 600.0  # stated bound: the whole dev server process after both loads


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _save(srv: Server, s: requests.Session) -> str:
    base = f"{srv.url}/v1/teams/{srv.team_id}/dashboards/bench"
    r = s.put(base, data=SIX_VIEWS.read_bytes(), headers={"Content-Type": "application/yaml"})
    r.raise_for_status()
    srv.c.task_queue.join(120)  # type: ignore[attr-defined]  # the save's warm-up
    return base


def _raw_duckdb(path: Path, *, views: bool = True) -> Any:
    """A callable running the six views' SQL straight in DuckDB (the warehouse's own time): the
    statements the refresh runs (each view's compiled SQL), or with ``views=False`` the five query
    texts the YAML names (KPIs and the pie wrap theirs, so that is less work than a refresh does)."""
    import duckdb

    from shared.adapters.warehouse.dialect import transpile
    from shared.dashboards.compile import compile_dashboard
    from shared.dashboards.validate import validate_dashboard

    model = validate_dashboard(SIX_VIEWS.read_text(), default_project="demo").model
    assert model is not None
    default = dt.date.fromisoformat(str(model.parameters[0].default))
    texts = (
        [v.sql for v in compile_dashboard(model).views if v.sql]
        if views
        else [q.sql for q in model.queries.values()]
    )
    sqls = [transpile(text) for text in texts]
    conn = duckdb.connect()
    conn.execute(f"ATTACH '{path}' AS demo (READ_ONLY)")
    conn.execute("USE demo")
    conn.execute("SET TimeZone = 'UTC'")  # as the adapter runs it

    def run() -> None:
        for t in sqls:
            params = {p: default for p in t.parameters}
            conn.execute(t.duckdb_sql, params).fetchall()

    return run


def _ms(action: Any) -> float:
    t0 = time.perf_counter()
    action()
    return (time.perf_counter() - t0) * 1000


def miss_vs_raw(srv: Server, scale: float) -> list[dict[str, Any]]:
    s = requests.Session()
    s.headers.update(srv.headers)
    base = _save(srv, s)
    raw = _raw_duckdb(srv.c.settings.demo_warehouse_path)
    queries = _raw_duckdb(srv.c.settings.demo_warehouse_path, views=False)

    def refresh() -> None:
        s.post(f"{base}/refresh").raise_for_status()

    for warm in (refresh, raw, queries):  # warm all three (connections, OS cache)
        warm()
    misses, raws, ratios, texts = [], [], [], []
    for _ in range(ROUNDS):
        m, r, q = _ms(refresh), _ms(raw), _ms(queries)
        misses.append(m)
        raws.append(r)
        ratios.append(m / r)
        texts.append(m / q)
    goal = 2.0 if scale <= 1 else 1.3
    note = f"raw {statistics.median(raws):.0f} ms, miss {statistics.median(misses):.0f} ms (median)"
    return [
        goal_row(f"forced miss / raw DuckDB, scale {scale:g}", ratios, goal, note),
        goal_row(
            f"forced miss / raw five query texts, scale {scale:g}",
            texts,
            None,
            "the YAML's queries, unwrapped",
        ),
    ]


def hit_vs_healthz(srv: Server, n: int = 200) -> list[dict[str, Any]]:
    s = requests.Session()
    s.headers.update(srv.headers)
    data_url = f"{srv.url}/v1/teams/{srv.team_id}/dashboards/bench/data"
    body = s.get(data_url).json()
    assert {v["cache"] for v in body["views"]} == {"hit"}, "expects cache hits"

    def decoded(url: str) -> None:
        s.get(url).raise_for_status()

    def received(url: str) -> None:  # every byte read, the gzip body left compressed
        with s.get(url, stream=True) as r:
            r.raise_for_status()
            r.raw.read(decode_content=False)

    ratios: dict[str, list[float]] = {"decoded": [], "received": []}
    for _ in range(ROUNDS):
        for how, fetch in (("decoded", decoded), ("received", received)):
            trivial, hits = [], []
            for _ in range(n // ROUNDS + 5):
                trivial.append(_ms(lambda fetch=fetch: fetch(f"{srv.url}/healthz")))
                hits.append(_ms(lambda fetch=fetch: fetch(data_url)))
            ratios[how].append(pct(hits[5:], 50) / pct(trivial[5:], 50))
    return [
        goal_row(
            "cache-hit p50 / /healthz p50", ratios["decoded"], 1.3, "6 views, gzip, decoded by requests"
        ),
        goal_row(
            "cache-hit p50 / /healthz p50, received, not decoded",
            ratios["received"],
            None,
            "the same pairs' bytes on the wire: the rest of the row above is the client's gunzip",
        ),
        _hit_in_process(srv, data_url.removeprefix(srv.url), n),
    ]


def _hit_in_process(srv: Server, path: str, n: int) -> dict[str, Any]:
    """The same pair through the WSGI app directly: no socket, so what the route itself adds."""
    from shared.entry.functions import dev_app

    client = dev_app().test_client()
    headers = {**srv.headers, "Accept-Encoding": "gzip"}
    assert client.get(path, headers=headers).status_code == 200
    ratios = []
    for _ in range(ROUNDS):
        trivial, hits = [], []
        for _ in range(n + 5):
            trivial.append(_ms(lambda: client.get("/healthz", headers=headers)))
            hits.append(_ms(lambda: client.get(path, headers=headers)))
        ratios.append(pct(hits[5:], 50) / pct(trivial[5:], 50))
    return goal_row(
        "cache-hit p50 / /healthz p50, in-process WSGI", ratios, 1.3, "no socket: the route's own cost"
    )


def rss_after_distinct(srv: Server) -> tuple[float, float]:
    s = requests.Session()
    s.headers.update(srv.headers)
    data_url = f"{srv.url}/v1/teams/{srv.team_id}/dashboards/bench/data"
    before = rss_mb()
    day = dt.date(2020, 1, 1)
    for i in range(DISTINCT_REQUESTS):
        s.get(data_url, params={"start_date": (day + dt.timedelta(days=i)).isoformat()}).raise_for_status()
    return before, rss_mb()


_COLD = r"""
import importlib.util, json, sys, time
root, main, path, token = sys.argv[1:5]
started = time.perf_counter()
sys.path.insert(0, root)
spec = importlib.util.spec_from_file_location("main", main)
module = importlib.util.module_from_spec(spec)
sys.modules["main"] = module
spec.loader.exec_module(module)
imported = time.perf_counter() - started
import flask
from werkzeug.test import EnvironBuilder
environ = EnvironBuilder(path=path, headers={"Authorization": "Bearer " + token}).get_environ()
response = module.serve_data(flask.Request(environ))
body = json.loads(response.get_data())
assert response.status_code == 200, response.status_code
assert {v["cache"] for v in body["views"]} == {"hit"}, body
total = time.perf_counter() - started
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[5].split(",")))
print(json.dumps({"import": imported, "total": total, "heavy": heavy}))
"""

_HEAVY = ("jsonschema", "sqlglot", "duckdb", "sqlalchemy", "yaml", "cryptography", "pydantic", "ruamel")

_EAGER = r"""
import importlib, json, sys, time
started = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps({"total": time.perf_counter() - started}))
"""


def cold_start(srv: Server) -> list[dict[str, Any]]:
    from bench.bench_coldstart import SDKS

    token = srv.headers["Authorization"].removeprefix("Bearer ")
    env = {
        **os.environ,
        "BRIDGE_DATA_DIR": str(srv.c.settings.data_dir),
        "BRIDGE_AUTH_SECRET": srv.c.settings.auth_secret,
        "BRIDGE_DEMO_SCALE": str(srv.c.settings.demo_scale),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    path = f"/v1/teams/{srv.team_id}/dashboards/bench/data"
    main_py = str(ROOT_DIR / "functions" / "serve_data" / "main.py")

    def probe(code: str, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-2000:])
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    versions = getattr(srv.c.data_service, "versions", None)  # shared data version records
    data_url = f"{srv.url}{path}"

    def version_record(fresh: bool) -> None:
        """A record of the views' data version checked just now (fresh), or none at all."""
        if versions is None:
            return
        cache = srv.c.store("cache")
        for obj in cache.list("versions/"):
            cache.delete(obj.path)
        if fresh:
            versions._memo.clear()
            srv.c.data_service._responses.clear()
            _session(srv).get(data_url).raise_for_status()
            srv.c.data_service.shared.flush()  # its response record, as another instance shares it

    ratios, imports, heavy, unversioned, heavy_unversioned = [], [], set(), [], set()
    for _ in range(ROUNDS):
        version_record(fresh=True)
        cold = probe(_COLD, str(ROOT_DIR), main_py, path, token, ",".join(_HEAVY))
        eager = probe(_EAGER, *SDKS)
        ratios.append(cold["total"] / eager["total"])
        imports.append(cold["import"] / eager["total"])
        heavy |= set(cold["heavy"])
        if versions is not None:
            version_record(fresh=False)
            asks = probe(_COLD, str(ROOT_DIR), main_py, path, token, ",".join(_HEAVY))
            unversioned.append(asks["total"] / eager["total"])
            heavy_unversioned |= set(asks["heavy"])
    rows = [
        goal_row(
            "cold import + first cached GET / eager SDK import",
            ratios,
            0.3,
            "loaded: " + (", ".join(sorted(heavy)) or "none of " + ", ".join(_HEAVY)),
        ),
        goal_row("cold import only / eager SDK import", imports, None, "for reference"),
    ]
    if unversioned:
        rows.append(
            goal_row(
                "  the same, no fresh data version record (asks the warehouse)",
                unversioned,
                None,
                "loaded: " + ", ".join(sorted(heavy_unversioned)),
            )
        )
    return rows


def wide_catalog(path: Path, tables: int = 2_000) -> None:
    """A DuckDB file with ``tables`` tables of 12 columns (half strings), 1,500 rows each."""
    import duckdb

    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA archive")
    for i in range(tables):
        conn.execute(
            f"CREATE TABLE archive.t_{i:05d} AS SELECT range AS id, 'status_' || (range % 7) AS status,"
            " 'country_' || (range % 31) AS country, repeat('x', 40) || range AS note,"
            " range * 1.5 AS amount, DATE '2024-01-01' + CAST(range % 365 AS INTEGER) AS day,"
            " 'c_' || (range % 3) AS channel, range % 13 AS score, 'r_' || (range % 5) AS region,"
            " 'EUR' AS currency, range AS user_id, 'extra_' || range AS extra FROM range(1500)"
        )
    conn.close()


def catalog_2000() -> tuple[list[dict[str, Any]], float]:
    """Scan time of a 2,000-table file (its snapshot opened first, timed apart) and the RSS added."""
    from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
    from shared.errors import BridgeError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.duckdb"
        wide_catalog(path)
        before = rss_mb()
        opens, secs, keep, failed = [], [], [], ""
        for _ in range(ROUNDS):
            wh = DuckDBWarehouse(path, project="wide")
            opens.append(_ms(wh._connection) / 1000)
            t0 = time.perf_counter()
            try:
                tables = sum(len(d.tables) for d in wh.scan_catalog())
                assert tables == 2_000, tables
            except BridgeError as error:
                failed = f"FAILED: {str(error)[:80]}"
            secs.append(time.perf_counter() - t0)
            keep.append(wh)
        added = rss_mb() - before
        note = failed or f"file snapshot opened first: {statistics.median(opens):.2f} s (median), not counted"
        return [goal_row("catalog scan, 2,000 tables (s)", secs, 0.5, note, unit="s")], added


def run() -> list[dict[str, Any]]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    rows: list[dict[str, Any]] = []
    for scale in SCALES:
        with dev_server(scale) as srv:
            if "miss" in GOALS:
                rows += miss_vs_raw(srv, scale)
            elif scale == 1.0:
                _save(srv, _session(srv))
            if scale != 1.0:
                continue
            if "hit" in GOALS:
                rows += hit_vs_healthz(srv)
            if "coldstart" in GOALS:
                rows += cold_start(srv)
            if "rss" in GOALS or "scan" in GOALS:
                base_rss, after_rss = rss_after_distinct(srv) if "rss" in GOALS else (rss_mb(), rss_mb())
                scan_rows, wide_added = catalog_2000() if "scan" in GOALS else ([], 0.0)
                rows += scan_rows
                total = rss_mb()
                note = (
                    f"server {base_rss:.0f} MB; +{after_rss - base_rss:.0f} MB after {DISTINCT_REQUESTS} distinct"
                    f" requests; +{wide_added:.0f} MB for {ROUNDS} scans of a 2,000-table file"
                )
                rows.append(goal_row("RSS after both loads (MB)", [total], RSS_BOUND_MB, note, unit="MB"))
    return rows


def _session(srv: Server) -> requests.Session:
    s = requests.Session()
    s.headers.update(srv.headers)
    return s
