"""Every warehouse call under one deadline; memory-heavy constructs bounded before they run.

Finding 2: dry runs (and the planning and partition-share counts of every data request) ran before
the timer started, and ``GENERATE_ARRAY(1, @n)`` with a large ``@n`` took the server to 3.9 GB.
Here the real DuckDB adapter over the demo warehouse is given tight deadlines and large sizes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.adapters.warehouse.size_bounds import MAX_ARRAY_ELEMENTS, MAX_STRING_CHARS
from shared.dashboards.params import bind_parameters
from shared.errors import Timeout, ValidationFailed, WarehouseError

from .figures import record, scaled

OI = "`demo.thelook_ecommerce.order_items`"
# Three-way theta join: billions of pairs even on the small demo file; only the deadline stops it.
SLOW = f"SELECT COUNT(*) AS n FROM {OI} AS a JOIN {OI} AS b ON a.id >= b.id JOIN {OI} AS c ON b.id >= c.id"
CAP = QueryOptions(max_bytes_billed=10**12, timeout_s=0.5)


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(demo_warehouse, timeout_s=0.5)


def test_a_slow_query_is_interrupted_at_the_deadline(warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(Timeout, match=r"time limit of 0\.5 s"):
        warehouse.query(SLOW, (), CAP)
    # the connection is still usable afterwards
    assert warehouse.query("SELECT 1 AS one", (), CAP).rows == [(1,)]


def test_dry_runs_and_catalog_reads_are_under_the_deadline_too(demo_warehouse: Path) -> None:
    expired = DuckDBWarehouse(demo_warehouse, timeout_s=1e-9)
    for call in (
        lambda: expired.dry_run(f"SELECT COUNT(*) AS n FROM {OI}"),
        expired.validate,
        expired.scan_catalog,
        lambda: expired.query(f"SELECT COUNT(*) AS n FROM {OI}", (), QueryOptions(10**12, timeout_s=1e-9)),
    ):
        with pytest.raises(Timeout):
            call()


def test_a_partition_filtered_query_counts_its_planning_in_the_deadline(warehouse: DuckDBWarehouse) -> None:
    sql = f"SELECT COUNT(*) AS n FROM {OI} WHERE created_at >= @since"
    params = (QueryParam("since", "TIMESTAMP", "2020-01-01T00:00:00"),)
    assert warehouse.query(sql, params, CAP).rows[0][0] >= 0
    with pytest.raises(Timeout):
        warehouse.query(sql, params, QueryOptions(10**12, timeout_s=1e-9))


SIZES = st.sampled_from(
    [1, 10, MAX_ARRAY_ELEMENTS - 1, MAX_ARRAY_ELEMENTS, MAX_ARRAY_ELEMENTS + 1, 5 * 10**7]
)


@settings(max_examples=scaled(40), deadline=None)
@given(SIZES, st.sampled_from(["literal", "param", "product"]), st.booleans())
def test_generated_array_sizes_are_bounded_before_running(
    warehouse: DuckDBWarehouse, n: int, form: str, safe: bool
) -> None:
    params: tuple[QueryParam, ...] = ()
    end = str(n)
    if form == "param":
        end, params = "@n", (QueryParam("n", "INT64", n),)
    elif form == "product":
        end = f"({n} * 1)"
    sql = f"SELECT ARRAY_LENGTH(GENERATE_ARRAY(1, {end})) AS len"
    if n > MAX_ARRAY_ELEMENTS:
        with pytest.raises(WarehouseError, match="GENERATE_ARRAY would build"):
            warehouse.query(sql, params, CAP)
    else:
        assert warehouse.query(sql, params, QueryOptions(10**12, timeout_s=30)).rows == [(n,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT REPEAT('abcdefghij', 2000000) AS s",
        "SELECT LPAD('a', 20000000) AS s",
        "SELECT RPAD('a', @n) AS s",
        "SELECT ARRAY_LENGTH(GENERATE_DATE_ARRAY('1900-01-01', '2200-01-01')) AS n",
        "SELECT ARRAY_LENGTH(GENERATE_TIMESTAMP_ARRAY('2020-01-01', '2021-01-01', INTERVAL 1 MINUTE)) AS n",
    ],
)
def test_string_and_date_builders_are_bounded(warehouse: DuckDBWarehouse, sql: str) -> None:
    with pytest.raises(WarehouseError, match="at most"):
        warehouse.query(sql, (QueryParam("n", "INT64", MAX_STRING_CHARS + 1),), CAP)


def test_sizes_known_only_at_run_time_meet_the_memory_limit(demo_warehouse: Path) -> None:
    small = DuckDBWarehouse(demo_warehouse, memory_limit_mb=64)
    sql = f"SELECT MAX(ARRAY_LENGTH(a)) AS n FROM (SELECT id, GENERATE_ARRAY(1, id * 1000) AS a FROM {OI} ORDER BY id)"
    with pytest.raises(WarehouseError, match="Out of Memory"):
        small.query(sql, (), QueryOptions(10**12, timeout_s=30))
    record("warehouse limits", tried=3, rejected=3)


def test_declared_parameter_ranges_bound_values() -> None:
    dashboard = {
        "parameters": [{"name": "n", "type": "number", "default": 1, "min": 1, "max": 100, "integer": True}]
    }
    assert bind_parameters(dashboard, {"n": "100"})[0].value == 100
    for value in ("12000", "0", "1e400", "nan", "-1"):
        with pytest.raises(ValidationFailed):
            bind_parameters(dashboard, {"n": value})
