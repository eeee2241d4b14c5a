"""A generated family around the cache attack: any sequence of results of any size and key.

Whatever the sequence (many distinct keys, the same key refreshed, results larger than a whole
bound, several teams), memory and the store stay under their byte bounds, every object keeps one
generation, and a read answers the latest result written for that team and key or nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.adapters.objectstore.local import LocalObjectStore
from shared.services.result_cache import CachedResult, ResultCache

MEMORY, STORE = 60_000, 30_000

writes = st.lists(
    st.tuples(
        st.sampled_from(["team-a", "team-b"]),
        st.sampled_from([f"k{i}" for i in range(12)]),
        st.integers(min_value=0, max_value=12_000),  # values per result: 0 B to beyond both bounds
        st.booleans(),  # read it back from another instance (memory cleared) afterwards
    ),
    min_size=1,
    max_size=40,
)


def _result(team: str, key: str, size: int, stamp: int) -> CachedResult:
    return CachedResult(
        team_id=team,
        key=key,
        columns=[{"name": "x", "type": "INT64"}],
        values=[[stamp + i for i in range(size)]],
        row_count=size,
        truncated=False,
        bytes_processed=size,
        cached_at=float(stamp),
        expires_at=float(stamp + 60),
    )


def _data_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*.data"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(writes)
def test_any_sequence_of_results_stays_under_the_byte_bounds(
    sequence: list[tuple[str, str, int, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = LocalObjectStore(root, bucket="cache", versioned=False)
        cache = ResultCache(store, memory_bytes=MEMORY, store_bytes=STORE)
        latest: dict[tuple[str, str], int] = {}
        for stamp, (team, key, size, cold_read) in enumerate(sequence, start=1):
            cache.put(_result(team, key, size, stamp * 100_000))
            assert cache.flush()  # the object is written behind the put
            latest[(team, key)] = stamp * 100_000
            assert cache.memory_bytes <= MEMORY
            assert cache.store_bytes <= STORE
            assert _data_bytes(root) <= STORE
            for (t, k), _ in latest.items():
                assert len(store.versions(f"{t}/{k}.json.gz")) <= 1
            if cold_read:
                cache.forget_local()
            for (t, k), want in latest.items():
                got = cache.get(t, k)
                assert got is None or (got.team_id == t and got.key == k and got.cached_at == float(want))
        other = ResultCache(store, memory_bytes=MEMORY, store_bytes=STORE)  # another instance
        for (t, k), want in latest.items():
            got = other.get(t, k)
            assert got is None or got.cached_at == float(want)
