"""What an instance keeps per connection stays under a stated bound however much is fed to it.

Issue 20: "memory per connection bounded explicitly". Each structure is fed more than its bound
(some bounds lowered for the test; the mechanism is the one in production) and its entries or
bytes are counted, not the process's RSS:

* warehouse adapters (one per connection: a DuckDB snapshot, its catalog, a BigQuery client):
  ``warehouse_pool_size``;
* per DuckDB warehouse: idle cursors (``IDLE_CURSORS``, tests/unit/test_duckdb_cursors.py), the
  reads and partition-share memos of its catalog's data version, the process's rendered texts;
* the result cache's memory tier: ``result_cache_memory_bytes`` of JSON text, which is what it
  holds (traced with tracemalloc), and the queue of writes behind responses.
"""

from __future__ import annotations

import gc
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from doubles.duckdb_files import partitioned_events

from shared.adapters.warehouse import duckdb_prepared
from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.bootstrap import Container
from shared.bounded_cache import BoundedCache
from shared.db.models import Connection
from shared.services.connections import open_warehouse
from shared.services.result_cache import CachedResult, ResultCache

from .figures import record

MB = 1_000_000
CAP = 10**12


def test_an_instance_keeps_at_most_warehouse_pool_size_adapters(container: Container) -> None:
    c = Container(container.settings.replace(warehouse_pool_size=3))
    root = c.settings.duckdb_root_paths[0]
    conns = [
        Connection(
            id=f"cn_{i}",
            team_id="tm",
            name=f"c{i}",
            warehouse_type="duckdb",
            credentials_path=None,
            config={"path": str(partitioned_events(root / f"pool{i}.duckdb", 50)), "project": "acme"},
        )
        for i in range(8)
    ]
    opened = [open_warehouse(c, conn) for conn in conns]
    for warehouse in opened:
        assert warehouse.query("SELECT COUNT(*) FROM shop.events", (), QueryOptions(CAP)).rows == [(50,)]
    assert len(c.warehouses) == 3 == c.warehouses.max_size
    assert open_warehouse(c, conns[-1]) is opened[-1]  # the most recent ones are kept
    again = open_warehouse(c, conns[0])  # a dropped one is built again and works
    assert again is not opened[0] and len(c.warehouses) == 3
    assert again.query("SELECT COUNT(*) FROM shop.events", (), QueryOptions(CAP)).rows == [(50,)]
    record("memory: warehouse adapters", tried=8, rejected=5)


def test_a_warehouses_memos_stay_within_their_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duckdb_prepared, "READS_KEPT", 16)
    monkeypatch.setattr(duckdb_prepared, "SHARES_KEPT", 16)
    monkeypatch.setattr(duckdb_prepared, "_TEXTS", BoundedCache(16))
    wh = DuckDBWarehouse(partitioned_events(tmp_path / "p.duckdb", 50), project="acme")
    for n in range(60):  # 60 distinct texts, each with a partition filter and its own values
        sql = f"SELECT COUNT(id) + {n} AS n FROM `acme.shop.events` WHERE day >= @since"
        since = (QueryParam("since", "DATE", f"2024-01-{1 + n % 28:02d}"),)
        rows = wh.query(sql, since, QueryOptions(CAP)).rows
        assert rows == [(50 - n % 28 + n,)]
    catalog = wh._catalog
    assert catalog is not None
    assert len(catalog.memo.reads) == 16 and len(catalog.memo.shares) == 16
    assert len(duckdb_prepared._TEXTS) == 16
    record("memory: a warehouse's memos", tried=60, rejected=44)


def _result(i: int, values: int) -> CachedResult:
    return CachedResult(
        team_id="team",
        key=f"k{i}",
        columns=[{"name": "x", "type": "STRING"}, {"name": "y", "type": "FLOAT64"}],
        values=[[f"value {i} {j}" for j in range(values)], [j * 1.5 for j in range(values)]],
        row_count=values,
        truncated=False,
        bytes_processed=1,
        cached_at=0.0,
        expires_at=1.0,
    )


def test_the_result_cache_holds_its_byte_bound_in_memory_not_an_estimate(container: Container) -> None:
    bound = 2 * MB
    cache = ResultCache(container.store("cache"), memory_bytes=bound)
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for i in range(40):  # ~0.35 MB of JSON each: 7 MB fed into 2 MB
            cache.put(_result(i, 12_000))
            assert cache.memory_bytes <= bound
        assert cache.flush()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    # Python lists of these values take ~4x their JSON; the tier holds the JSON text itself
    assert cache.memory_bytes > bound // 2
    assert held <= bound + MB // 2, f"the cache holds {held:,} bytes for a bound of {bound:,}"
    hit = cache.get("team", "k39")
    assert hit is not None and hit.values[0][-1] == "value 39 11999"
    record(f"memory: result cache tier {held / MB:.1f} MB traced, bound 2 MB", tried=40, rejected=0)


def test_writes_waiting_behind_responses_stay_within_their_bound(container: Container) -> None:
    store = container.store("cache")
    release = threading.Event()
    real_put = store.put

    def slow_put(*args: Any, **kwargs: Any) -> Any:
        assert release.wait(30)
        return real_put(*args, **kwargs)

    store.put = slow_put  # type: ignore[method-assign]
    cache = ResultCache(store, memory_bytes=1, pending_bytes=1 * MB)
    done = threading.Event()

    def feed() -> None:  # over the bound a put writes in its own thread: it waits for the store
        for i in range(20):
            cache.put(_result(i, 6_000))
        done.set()

    feeder = threading.Thread(target=feed, daemon=True)
    try:
        feeder.start()
        assert not done.wait(1.0), "puts over the pending bound do not queue without limit"
        assert cache.pending_bytes <= 1 * MB
    finally:
        release.set()
        feeder.join(30)
        del store.put
    assert done.is_set() and cache.flush() and cache.pending_bytes == 0
    assert cache.get("team", "k19") is not None
