"""Catalog-size figures (issue 16): what the model is sent per step, and turn latency, as the
catalog grows from 20 to 20,000 tables and as a session grows to 20 turns (offline planner).

Synthetic tables (plausible names, descriptions, columns and the sample values a scan keeps for
their text columns) are added to the demo connection's scanned catalog; the demo's 7 real tables
stay (scanned with their own sample values), so every request still builds a real dashboard.
A recording wrapper around the offline planner measures each model request as JSON bytes
(system blocks + tool specs + messages) and estimates tokens as bytes / 4.

.venv/bin/python -m bench --only catalog
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Iterator
from typing import Any

from bench.common import dev_server, forget, row
from shared.adapters.model.port import StreamingChatModel

SIZES = (20, 200, 2_000, 20_000)
REQUESTS = [
    "monthly revenue for the last year",
    "number of orders by status",
    "revenue by category as a pie",
    "new users per month",
]
SESSION = [
    "monthly revenue for the last year",
    "make the trend a bar chart",
    "add a KPI for total orders",
    "only 2023",
]
NOUNS = [
    "invoice",
    "shipment",
    "refund",
    "campaign",
    "session",
    "ticket",
    "payment",
    "review",
    "coupon",
    "device",
    "visit",
    "lead",
]
AREAS = [
    "finance",
    "ops",
    "marketing",
    "support",
    "growth",
    "web",
    "mobile",
    "sales",
    "logistics",
    "billing",
    "hr",
    "risk",
]
VALUES = {  # sample values a scan keeps for the synthetic text columns (as the scanner stores them)
    "status": ["active", "closed", "pending", "failed"],
    "country": ["France", "Germany", "Japan", "Brazil", "India", "Canada"],
    "region": ["EMEA", "APAC", "AMER", "LATAM"],
    "channel": ["web", "mobile", "store", "partner"],
    "currency": ["EUR", "USD", "JPY", "GBP"],
    "note": [],  # sampled, not categorical
}
COLS = [
    "id",
    "created_at",
    "updated_at",
    "amount",
    "status",
    "country",
    "region",
    "channel",
    "user_id",
    "score",
    "currency",
    "note",
]


class RecordingModel(StreamingChatModel):
    """Wraps a chat model; remembers the JSON size of every request it is sent."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.sizes: list[int] = []

    def stream(self, request: Any) -> Iterator[Any]:
        from shared.adapters.model.messages import message_to_dict

        body = {
            "system": [b.text for b in request.system],
            "tools": [[t.name, t.description, t.parameters] for t in request.tools],
            "messages": [message_to_dict(m) for m in request.messages],
        }
        self.sizes.append(len(json.dumps(body, default=str)))
        return self.inner.stream(request)


def add_tables(c: Any, connection_id: str, total: int) -> None:
    """Grow the connection's catalog to ``total`` tables with a synthetic dataset."""
    from sqlalchemy import func, insert, select

    from shared.db.models import Dataset, Table, new_id

    rnd = random.Random(total)
    order = random.Random(-total)  # its own stream: the tables stay those of earlier runs
    with c.db.session() as s:
        have = s.scalar(
            select(func.count())
            .select_from(Table)
            .join(Dataset, Dataset.id == Table.dataset_id)
            .where(Dataset.connection_id == connection_id)
        )
        extra = max(0, total - int(have or 0))
        if not extra:
            return
        ds = Dataset(
            id=new_id("ds"),
            connection_id=connection_id,
            fully_qualified_name="demo.archive",
            description="Archived operational tables.",
            location="US",
        )
        s.add(ds)
        s.flush()
        rows = []
        for i in range(extra):
            noun, area = rnd.choice(NOUNS), rnd.choice(AREAS)
            cols: list[dict[str, Any]] = [
                {"name": f"{noun}_{c}" if c == "id" else c, "type": "STRING", "description": None}
                for c in rnd.sample(COLS, 6)
            ]
            for col in cols:
                if col["name"] in VALUES:
                    col["sample_values"] = order.sample(VALUES[col["name"]], len(VALUES[col["name"]]))
            rows.append(
                {
                    "id": new_id("tb"),
                    "dataset_id": ds.id,
                    "fully_qualified_name": f"demo.archive.{area}_{noun}s_{i:05d}",
                    "table_type": "TABLE",
                    "row_count": rnd.randint(10, 10_000_000),
                    "size_bytes": rnd.randint(1_000, 10**10),
                    "description": f"{area.title()} {noun}s, batch {i} (archived).",
                    "partitioning": None,
                    "clustering": [],
                    "columns": cols,
                }
            )
        s.execute(insert(Table), rows)


def _turn(
    srv: Any, service: Any, user: Any, session: str, message: str, model: RecordingModel, new: bool = True
) -> dict[str, Any]:
    """One measured turn; a dashboard a ``new`` turn created is deleted afterwards (a repeated
    request would otherwise be offered it instead of building it)."""
    before = len(model.sizes)
    started = time.perf_counter()
    result = service.generate(session, message, user=user)
    elapsed = (time.perf_counter() - started) * 1000
    sizes = model.sizes[before:]
    tool_bytes = sum(
        len(json.dumps(d.get("result"), default=str)) for t, d in result.events if t == "tool_result"
    )
    if new:
        forget(srv.c, user, srv.team_id, result.dashboard_slug)
    return {
        "ms": elapsed,
        "step_bytes": max(sizes) if sizes else 0,
        "turn_bytes": sum(sizes),
        "tool_bytes": tool_bytes,
        "saved": result.dashboard_slug is not None,
    }


def measure(size: int, session_turns: int = 0) -> dict[str, Any]:
    from doubles.generation import DashboardGenerationService, create_session

    from shared.adapters.identity.port import Principal
    from shared.adapters.model.offline.model import OfflinePlanner
    from shared.dev.seed import DEMO_EMAIL

    with dev_server(scale=0.05) as srv:
        add_tables(srv.c, srv.connection_id, size)
        model = RecordingModel(OfflinePlanner())
        srv.c.install_model(model)
        user = Principal(DEMO_EMAIL, DEMO_EMAIL)
        service = DashboardGenerationService(srv.c)
        warm = create_session(srv.c, user, srv.team_id, srv.connection_id)
        _turn(srv, service, user, warm, REQUESTS[0], model)  # builds the search index once
        turns = []
        for message in REQUESTS * 2:
            session = create_session(srv.c, user, srv.team_id, srv.connection_id)
            turns.append(_turn(srv, service, user, session, message, model))
        out: dict[str, Any] = {
            "ms": statistics.median(t["ms"] for t in turns),
            "step_bytes": statistics.median(t["step_bytes"] for t in turns),
            "tool_bytes": statistics.median(t["tool_bytes"] for t in turns),
            "failures": sum(not t["saved"] for t in turns),
        }
        if session_turns:
            session = create_session(srv.c, user, srv.team_id, srv.connection_id)
            out["session"] = [
                _turn(srv, service, user, session, SESSION[i % len(SESSION)], model, new=False)
                for i in range(session_turns)
            ]
        return out


def run() -> list[dict[str, Any]]:
    """Rows of {name, value, unit, note} per catalog size, ratios against 20 tables (same run)."""
    results = {n: measure(n, session_turns=20 if n == SIZES[0] else 0) for n in SIZES}
    base = results[SIZES[0]]
    rows = []
    for n, r in results.items():
        note = f"{n:,} tables, median of {len(REQUESTS) * 2} turns"
        rows.append(row(f"catalog {n:>6,}: request per step (max)", r["step_bytes"], "B", note))
        rows.append(row(f"catalog {n:>6,}: est. tokens per step", r["step_bytes"] / 4, "tok", "bytes / 4"))
        rows.append(row(f"catalog {n:>6,}: tool-result bytes per turn", r["tool_bytes"], "B", note))
        rows.append(
            row(f"catalog {n:>6,}: turn latency p50", r["ms"], "ms", f"{r['failures']} turns unsaved")
        )
    big = results[2_000]
    rows.append(
        row("catalog 2,000 vs 20: request size", big["step_bytes"] / base["step_bytes"], "x", "goal <= 1.2")
    )
    rows.append(row("catalog 2,000 vs 20: turn latency", big["ms"] / base["ms"], "x", "goal <= 1.5"))
    huge = results[20_000]
    rows.append(
        row("catalog 20,000 vs 20: request size", huge["step_bytes"] / base["step_bytes"], "x", "no goal")
    )
    rows.append(row("catalog 20,000 vs 20: turn latency", huge["ms"] / base["ms"], "x", "no goal"))
    session = base["session"]
    first, last = session[0], session[-1]
    # turn 1 and turn 20 ask the same thing (the session's requests repeat every 4 turns)
    rows.append(
        row(
            "session turn 20 vs 1: request per step",
            last["step_bytes"] / first["step_bytes"],
            "x",
            "goal <= 1.2",
        )
    )
    rows.append(
        row(
            "session turns 17-20 vs 1-4: latency",
            statistics.mean(t["ms"] for t in session[-4:]) / statistics.mean(t["ms"] for t in session[:4]),
            "x",
            "goal <= 1.2",
        )
    )
    return rows


if __name__ == "__main__":
    for r in run():
        print(f"{r['name']:<48} {r['value']:12,.2f} {r['unit']:<4} {r['note']}")
