"""Data serving figures (issue 4): cache-hit latency vs a trivial endpoint, cache misses, payload size, throughput."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.common import Server, dev_server, pct, row

SIX_VIEWS = Path(__file__).with_name("six_views.yaml")


def _timed(session: requests.Session, method: str, url: str, n: int, **kw: Any) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = session.request(method, url, **kw)
        r.raise_for_status()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure(srv: Server, *, n: int = 200, misses: int = 10, concurrency: int = 8) -> list[dict[str, Any]]:
    s = requests.Session()
    s.headers.update(srv.headers)
    base = f"{srv.url}/v1/teams/{srv.team_id}/dashboards/bench"
    r = s.put(base, data=SIX_VIEWS.read_bytes(), headers={"Content-Type": "application/yaml"})
    if r.status_code == 200 or r.status_code == 201:
        pass
    else:
        r.raise_for_status()
    srv.c.task_queue.join(60)  # type: ignore[attr-defined]  # the save's warm-up
    data_url = f"{base}/data"
    ratios: list[dict[str, Any]] = []
    for encoding in ("gzip", "identity"):
        trivial: list[float] = []
        hits: list[float] = []
        hdr = {"Accept-Encoding": encoding}
        for i in range(n + 20):  # interleaved, so both see the same machine load; the first 20 warm up
            t = _timed(s, "GET", f"{srv.url}/healthz", 1, headers=hdr)
            h = _timed(s, "GET", data_url, 1, headers=hdr)
            if i >= 20:
                trivial += t
                hits += h
        p50_t, p95_t, p50_h, p95_h = pct(trivial, 50), pct(trivial, 95), pct(hits, 50), pct(hits, 95)
        ratios += [
            row(
                f"trivial JSON endpoint p50/p95 [{encoding}]",
                p50_t,
                "ms",
                f"p95 {p95_t:.1f} ms; GET /healthz",
            ),
            row(f"cache-hit data p50/p95 [{encoding}]", p50_h, "ms", f"p95 {p95_h:.1f} ms; 6 views"),
            row(f"cache-hit / trivial p50 [{encoding}]", p50_h / p50_t, "x", "goal <= 1.5"),
            row(f"cache-hit / trivial p95 [{encoding}]", p95_h / p95_t, "x", "goal <= 1.5"),
        ]
    body = s.get(data_url).json()
    assert {v["cache"] for v in body["views"]} == {"hit"}, "benchmark expects cache hits"
    miss = _timed(s, "POST", f"{base}/refresh", misses)

    def dumps(value: Any) -> int:
        return len(json.dumps(value, separators=(",", ":")))

    def as_objects(view: dict[str, Any]) -> list[dict[str, Any]]:
        names = [c["name"] for c in view["columns"]]
        return (
            [dict(zip(names, r, strict=True)) for r in zip(*view["values"], strict=True)]
            if view["values"]
            else []
        )

    # the rows as sent (column names + columnar values) vs the usual list of row objects
    compact_rows = sum(dumps({"columns": v["columns"], "values": v["values"]}) for v in body["views"])
    object_rows = sum(dumps({"rows": as_objects(v)}) for v in body["views"])
    compact = dumps(body)
    objects = dumps(
        {
            **body,
            "views": [
                {**{k: x for k, x in v.items() if k != "values"}, "rows": as_objects(v)}
                for v in body["views"]
            ],
        }
    )

    total = concurrency * 50

    def worker(_: int) -> int:
        sess = requests.Session()
        sess.headers.update(srv.headers)
        ok = 0
        for _ in range(total // concurrency):
            ok += sess.get(data_url).status_code == 200
        return ok

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        oks = sum(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - t0

    return [
        *ratios,
        row("cache-miss 6-view dashboard p50", pct(miss, 50), "ms", "POST /refresh, views run concurrently"),
        row("cache-miss 6-view dashboard p95", pct(miss, 95), "ms"),
        row(
            "rows payload bytes (6 views)",
            compact_rows,
            "B",
            f"{sum(v['row_count'] for v in body['views'])} rows",
        ),
        row("compact rows / row-of-objects JSON", compact_rows / object_rows, "x", "goal <= 0.5"),
        row("whole response / with row objects", compact / objects, "x", "incl. Vega-Lite specs + theme"),
        row(
            "whole response gzip bytes",
            len(s.get(data_url, headers={"Accept-Encoding": "gzip"}, stream=True).raw.read()),
            "B",
        ),
        row(f"cache-hit throughput ({concurrency} clients)", oks / elapsed, "req/s", f"{oks}/{total} ok"),
    ]


def run(scale: float = 1.0) -> list[dict[str, Any]]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # request logs would time the terminal
    with dev_server(scale) as srv:
        return measure(srv)
