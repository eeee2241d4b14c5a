"""Every warehouse column type is served, or reported as that view's own error; never a 500.

Finding 9: a view returning INTERVAL, or an array/struct holding dates, broke the whole dashboard
with a 500 (values were not serialized recursively). A crafted DuckDB file holds one column of
every DuckDB type (scalars, nested arrays, structs, maps, unions, enums, intervals); one dashboard
has a table view per column plus a view that fails, and is served over HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import duckdb
import pytest
import requests
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.warehouse.values import cell, interval_text, json_ready
from shared.bootstrap import Container

from .conftest import TwoTeams
from .figures import record
from .helpers import TIMEOUT, put_yaml

COLUMNS = {
    "c_bool": "TRUE",
    "c_tinyint": "-7::TINYINT",
    "c_hugeint": "170141183460469231731687303715884105727::HUGEINT",
    "c_ubigint": "18446744073709551615::UBIGINT",
    "c_double": "'NaN'::DOUBLE",
    "c_inf": "'Infinity'::DOUBLE",
    "c_decimal": "123456.789::DECIMAL(18,3)",
    "c_bigdecimal": "1.5::DECIMAL(38,10)",
    "c_varchar": "'naïve ☃'",
    "c_blob": "'\\xAA\\xBB'::BLOB",
    "c_uuid": "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID",
    "c_date": "DATE '2024-02-29'",
    "c_time": "TIME '12:34:56.789'",
    "c_timetz": "'12:34:56+02'::TIMETZ",
    "c_timestamp": "TIMESTAMP '2024-01-01 01:02:03.456789'",
    "c_timestamptz": "TIMESTAMPTZ '2024-01-01 01:02:03+00'",
    "c_timestamp_ns": "'2024-01-01 01:02:03.123456789'::TIMESTAMP_NS",
    "c_interval": "INTERVAL 1 DAY + INTERVAL 2 HOUR",
    "c_neg_interval": "-INTERVAL 90 SECOND",
    "c_enum": "'b'::mood",
    "c_bit": "'0101'::BIT",
    "c_json": "'{\"a\": [1, 2]}'::JSON",
    "c_list_date": "[DATE '2024-01-01', NULL, DATE '2024-12-31']",
    "c_array_fixed": "[1, 2, 3]::INTEGER[3]",
    "c_struct": "{'d': DATE '2024-01-01', 'i': INTERVAL 3 MINUTE, 'n': 1.5::DECIMAL(4,1)}",
    "c_list_struct": "[{'t': TIMESTAMP '2024-01-01 00:00:00', 'b': '\\x01'::BLOB}]",
    "c_map": "MAP {DATE '2024-01-01': [INTERVAL 1 DAY], DATE '2024-01-02': []}",
    "c_union": "union_value(i := 5)::UNION(i INTEGER, s VARCHAR)",
    "c_nested": "[[[DATE '2024-01-01']]]",
    "c_null": "NULL::INTEGER",
}


@pytest.fixture
def typed_team(two_teams: TwoTeams, container: Container) -> tuple[TwoTeams, str]:
    root = container.settings.duckdb_root_paths[0]
    root.mkdir(parents=True, exist_ok=True)
    path = root / "types.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TYPE mood AS ENUM ('a', 'b'); CREATE SCHEMA kinds")
    con.execute("CREATE TABLE kinds.every AS SELECT " + ", ".join(f"{v} AS {k}" for k, v in COLUMNS.items()))
    con.close()
    h = two_teams.a.headers
    conn = requests.post(
        f"{two_teams.server.url}/v1/teams/{two_teams.a.team_id}/connections",
        json={"name": "types", "warehouse_type": "duckdb", "path": str(path), "project": "typed"},
        headers=h,
        timeout=TIMEOUT,
    ).json()
    scan = requests.post(
        f"{two_teams.server.url}/v1/connections/{conn['id']}/scan", headers=h, timeout=TIMEOUT
    )
    assert scan.status_code == 200, scan.text
    return two_teams, conn["id"]


def test_every_column_type_is_served_and_a_failing_view_fails_alone(typed_team: tuple[TwoTeams, str]) -> None:
    env, connection_id = typed_team
    names = list(COLUMNS)
    doc: dict[str, Any] = {
        "version": 1,
        "title": "Every type",
        "queries": {n: {"sql": f"SELECT {n} FROM `typed.kinds.every`"} for n in names},
        "views": [
            {
                "id": f"v_{n}",
                "type": "table",
                "query": n,
                "columns": [{"field": n}],
                "layout": {"x": 0, "y": i, "w": 12, "h": 1},
            }
            for i, n in enumerate(names)
        ],
    }
    text = yaml.safe_dump(doc, sort_keys=False)
    saved = put_yaml(env.server, env.a.headers, env.a.team_id, "types", text, connection_id=connection_id)
    assert saved.status_code == 201, saved.text
    queue = env.container.task_queue  # the warm after the save (finding 9: it failed and retried)
    assert queue.join(60)
    assert [d for d in queue.dead if d.handler == "precompute"] == []
    r = requests.get(
        f"{env.server.url}/v1/teams/{env.a.team_id}/dashboards/types/data",
        headers=env.a.headers,
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text[:500]
    views = {v["view_id"]: v for v in r.json()["views"]}
    assert {v["cache"] for v in views.values()} == {"hit"}, {k: v["cache"] for k, v in views.items()}
    errors = {k: v["error"] for k, v in views.items() if v.get("error")}
    assert errors == {}, errors
    served = {n: json.dumps(views[f"v_{n}"]) for n in names}
    assert "2024-02-29" in served["c_date"] and "P1DT2H" in served["c_interval"]
    assert "2024-01-01" in served["c_list_date"] and "PT3M" in served["c_struct"]
    record("warehouse types", tried=len(names), rejected=0, errors=len(errors))


VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary(max_size=8)
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
    | st.times()
    | st.timedeltas()
    | st.decimals()
    | st.uuids(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3) | st.dates(), inner, max_size=3)
        | st.tuples(inner, inner)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_generated_values_are_json_at_every_depth(value: Any) -> None:
    ready = json_ready(value)
    assert json.loads(json.dumps(ready, allow_nan=False)) == ready
    top = cell(value)
    if isinstance(value, dt.date | dt.time) or (isinstance(value, Decimal) and value.is_finite()):
        assert top is value  # serving formats top-level dates and decimals itself
    else:
        json.dumps(top, allow_nan=False)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(days=1, hours=2), "P1DT2H"),
        (dt.timedelta(seconds=-90), "-PT1M30S"),
        (dt.timedelta(0), "PT0S"),
        (dt.timedelta(days=3), "P3D"),
        (dt.timedelta(milliseconds=1500), "PT1.5S"),
    ],
)
def test_intervals_are_iso_8601_durations(delta: dt.timedelta, text: str) -> None:
    assert interval_text(delta) == text


def test_json_cells_are_the_port_cells_converted_once(tmp_path: Any) -> None:
    """``json_cells`` gives, in one conversion, what serving made of the port's cells before."""
    from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
    from shared.adapters.warehouse.port import QueryOptions
    from shared.adapters.warehouse.values import json_cell

    path = tmp_path / "types.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TYPE mood AS ENUM ('a', 'b'); CREATE SCHEMA kinds")
        con.execute(
            "CREATE TABLE kinds.every AS SELECT " + ", ".join(f"{v} AS {k}" for k, v in COLUMNS.items())
        )
    wh = DuckDBWarehouse(path, project="typed")
    sql = "SELECT * FROM kinds.every"
    port = wh.query(sql, (), QueryOptions(max_bytes_billed=10**12)).rows
    served = wh.query(sql, (), QueryOptions(max_bytes_billed=10**12, json_cells=True)).rows
    assert served == [tuple(json_cell(v) for v in row) for row in port]
    assert json.loads(json.dumps(served, allow_nan=False)) == [list(row) for row in served]
    by_name = dict(zip(COLUMNS, served[0], strict=True))
    assert by_name["c_date"] == "2024-02-29" and by_name["c_decimal"] == 123456.789
    assert by_name["c_double"] is None and by_name["c_hugeint"] == 170141183460469231731687303715884105727
