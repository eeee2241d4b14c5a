"""The SQL guard and the byte estimate, second round: scopes, quoting forms, projection forms, joins.

Findings 5-7: a CTE named like a system view in one subquery let the same bare name through in
another; backtick-quoted and ``SAFE.`` cross-project functions passed; ``COLUMNS('.*')`` was
estimated at 0 bytes; ``CROSS JOIN UNNEST(...)`` and ``ON a.id = a.id`` escaped the cross-join rule.
Each is pinned below and surrounded by a generated family (hypothesis), checked against the real
guard and, for estimates, the real DuckDB adapter over the demo warehouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.errors import UnsafeSql
from shared.sqlguard import guard_select

from .figures import record, scaled

OI = "demo.thelook_ecommerce.order_items"
SYSTEM_NAMES = ["duckdb_settings", "duckdb_tables", "duckdb_columns", "duckdb_views", "pg_settings", "t"]


def allowed(name: str) -> bool:
    return name.lower().startswith("demo.thelook_ecommerce.")


def passes(sql: str) -> bool:
    try:
        guard_select(sql, allowed_tables=allowed, default_project="demo")
    except UnsafeSql:
        return False
    return True


# -- scopes -------------------------------------------------------------------------------------


def test_a_cte_in_one_subquery_does_not_cover_the_same_name_in_another() -> None:
    sql = (
        "SELECT name FROM (WITH duckdb_settings AS (SELECT 'x' AS name) SELECT name FROM duckdb_settings)"
        " UNION ALL SELECT name FROM duckdb_settings"
    )
    assert not passes(sql)
    assert passes("WITH duckdb_settings AS (SELECT 'x' AS name) SELECT name FROM duckdb_settings")


@st.composite
def scoped_queries(draw: st.DrawFn) -> tuple[str, bool]:
    """A query built from branches that define and use one CTE name; whether every use is covered."""
    name = draw(st.sampled_from(SYSTEM_NAMES))
    quoted = draw(st.sampled_from([name, f"`{name}`"]))
    covered = True

    def branch(depth: int) -> str:
        nonlocal covered
        kind = draw(
            st.sampled_from(["defines", "uses", "table", "literal", "nested"] if depth < 3 else ["literal"])
        )
        if kind == "defines":
            inner = branch(depth + 1) if draw(st.booleans()) else "SELECT 1 AS x"
            return f"(WITH {name} AS ({inner}) SELECT x FROM {quoted})"
        if kind == "uses":
            covered = False
            return f"(SELECT x FROM {quoted})"
        if kind == "table":
            return f"(SELECT id AS x FROM `{OI}`)"
        if kind == "nested":
            return f"(SELECT x FROM {branch(depth + 1)})"
        return "(SELECT 1 AS x)"

    parts = [branch(0) for _ in range(draw(st.integers(1, 3)))]
    body = " UNION ALL ".join(f"SELECT x FROM {part}" for part in parts)
    if draw(st.booleans()):
        where = draw(st.sampled_from(["exists", "scalar"]))
        covered = False
        body = (
            f"SELECT x FROM ({body}) WHERE EXISTS (SELECT 1 FROM {quoted})"
            if where == "exists"
            else f"SELECT x, (SELECT COUNT(*) FROM {quoted}) AS n FROM ({body})"
        )
    if draw(st.booleans()):  # a WITH at the top covers every use
        body, covered = f"WITH {name} AS (SELECT 2 AS x) {body}", True
    return body, covered


@settings(max_examples=scaled(300), deadline=None)
@given(scoped_queries())
def test_generated_scopes_pass_only_when_every_use_is_covered(case: tuple[str, bool]) -> None:
    sql, covered = case
    assert passes(sql) == covered, sql


# -- functions ----------------------------------------------------------------------------------


@st.composite
def udf_calls(draw: st.DrawFn) -> str:
    project = draw(st.sampled_from(["attacker-proj", "demo", "other"]))
    parts = [
        project,
        draw(st.sampled_from(["ds", "thelook_ecommerce"])),
        draw(st.sampled_from(["exfil", "upper"])),
    ]
    parts = parts[draw(st.integers(0, 1)) :]  # project.ds.fn or ds.fn
    form = draw(st.sampled_from(["whole", "each", "first", "last", "plain"]))
    if form == "whole":
        name = "`" + ".".join(parts) + "`"
    elif form == "each":
        name = ".".join(f"`{p}`" for p in parts)
    elif form == "first":
        name = f"`{parts[0]}`." + ".".join(parts[1:])
    elif form == "last":
        name = ".".join(parts[:-1]) + f".`{parts[-1]}`"
    else:
        name = ".".join(parts) if "-" not in parts[0] else "`" + ".".join(parts) + "`"
    prefix = draw(st.sampled_from(["", "SAFE.", "safe."]))
    return f"SELECT {prefix}{name}(email) AS v FROM `demo.thelook_ecommerce.users`"


@settings(max_examples=scaled(200), deadline=None)
@given(udf_calls())
def test_generated_user_defined_functions_are_refused_in_every_quoting_form(sql: str) -> None:
    assert not passes(sql), sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT SAFE.SUBSTR(email, 1, 2) AS v FROM `demo.thelook_ecommerce.users`",
        "SELECT SAFE_DIVIDE(age, 2) AS v FROM `demo.thelook_ecommerce.users`",
        "SELECT NET.HOST(email) AS v FROM `demo.thelook_ecommerce.users`",
        "SELECT UPPER(email) AS v FROM `demo.thelook_ecommerce.users`",
        "SELECT DATE_TRUNC(created_at, MONTH) AS m FROM `demo.thelook_ecommerce.users`",
    ],
)
def test_built_in_functions_still_pass(sql: str) -> None:
    assert passes(sql)


# -- joins --------------------------------------------------------------------------------------

TAUTOLOGIES = [
    "TRUE",
    "1 = 1",
    "a.id = a.id",
    "(a.id = a.id)",
    "a.id = a.user_id",
    "a.id = b.id OR TRUE",
    "a.id <> b.id",
    "b.id = b.id",
    "a.user_id = a.user_id AND TRUE",
    "NOT FALSE",
]
REAL = ["a.id = b.id", "a.user_id = b.user_id AND a.id > 0", "b.order_id = a.order_id", "a.id >= b.id"]


@settings(max_examples=scaled(150), deadline=None)
@given(st.sampled_from(TAUTOLOGIES + REAL), st.sampled_from(["JOIN", "INNER JOIN", "LEFT JOIN", "FULL JOIN"]))
def test_generated_join_conditions_must_relate_both_sides(condition: str, join: str) -> None:
    sql = f"SELECT COUNT(*) AS n FROM `{OI}` AS a {join} `{OI}` AS b ON {condition}"
    assert passes(sql) == (condition in REAL), sql


@pytest.mark.parametrize(
    ("unnest", "ok"),
    [
        ("UNNEST(GENERATE_ARRAY(1, 100000))", False),
        ("UNNEST(GENERATE_DATE_ARRAY('2020-01-01', '2030-01-01'))", False),
        (f"UNNEST(ARRAY(SELECT id FROM `{OI}`))", False),
        ("UNNEST([" + ", ".join(str(i) for i in range(500)) + "])", False),
        ("UNNEST(GENERATE_ARRAY(1, a.id))", False),
        ("UNNEST([1, 2, 3])", True),
        ("UNNEST(SPLIT(a.status, ','))", True),
    ],
)
@pytest.mark.parametrize("form", ["CROSS JOIN {u} AS n", ", {u} AS n", "JOIN {u} AS n ON TRUE"])
def test_unnest_joins_expand_only_the_rows_own_arrays(unnest: str, ok: bool, form: str) -> None:
    sql = f"SELECT COUNT(*) AS c FROM `{OI}` AS a {form.format(u=unnest)}"
    assert passes(sql) == ok, sql


# -- estimates over every projection form -------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(demo_warehouse)


def table_bytes(wh: DuckDBWarehouse, columns: str = "*") -> int:
    return wh.dry_run(f"SELECT {columns} FROM `{OI}`").total_bytes_processed


WHOLE = [
    "SELECT COLUMNS('.*') FROM `{t}`",
    "SELECT t FROM `{t}` AS t",
    "SELECT TO_JSON_STRING(t) AS j FROM `{t}` AS t",
    "SELECT t.* FROM `{t}` AS t",
    "SELECT * REPLACE (id AS id) FROM `{t}`",
    "SELECT * FROM `{t}`",
]
WRAPPERS = [
    "{q}",
    "SELECT * FROM ({q})",
    "SELECT x.* FROM ({q}) AS x",
    "SELECT * FROM (SELECT * FROM ({q}))",
    "SELECT COUNT(*) AS n FROM ({q})",
    "WITH c AS ({q}) SELECT * FROM c",
]


@settings(max_examples=scaled(40), deadline=None)
@given(st.sampled_from(WHOLE), st.sampled_from(WRAPPERS))
def test_generated_projection_forms_count_every_column_they_read(
    warehouse: DuckDBWarehouse, inner: str, wrapper: str
) -> None:
    sql = wrapper.format(q=inner.format(t=OI))
    full = table_bytes(warehouse)
    estimate = warehouse.dry_run(sql).total_bytes_processed
    if "COUNT(*)" in wrapper and "COLUMNS" not in inner and inner.startswith("SELECT *"):
        assert 0 <= estimate <= full, sql  # BigQuery prunes unused columns of a plain star
    else:
        assert estimate == full, sql


def test_except_counts_the_columns_it_keeps(warehouse: DuckDBWarehouse) -> None:
    full, ident = table_bytes(warehouse), table_bytes(warehouse, "id")
    assert warehouse.dry_run(f"SELECT * EXCEPT (id) FROM `{OI}`").total_bytes_processed == full - ident
    assert 0 < ident < full
    record("sql guard: projection forms", tried=len(WHOLE) * len(WRAPPERS), rejected=0)
