"""The SQL guard: only one read-only SELECT over allowed, fully qualified tables gets through."""

from __future__ import annotations

import pytest

from shared.errors import UnsafeSql, ValidationFailed
from shared.sqlguard import guard_select

from .helpers import demo_tables

D = "`demo.thelook_ecommerce.order_items`"

HOSTILE = [
    "INSERT INTO demo.thelook_ecommerce.users (id) VALUES (1)",
    "UPDATE demo.thelook_ecommerce.users SET age = 0 WHERE TRUE",
    "DELETE FROM demo.thelook_ecommerce.users WHERE TRUE",
    "MERGE demo.thelook_ecommerce.users t USING demo.thelook_ecommerce.orders s ON t.id = s.user_id "
    "WHEN MATCHED THEN DELETE",
    "TRUNCATE TABLE demo.thelook_ecommerce.users",
    "CREATE TABLE demo.thelook_ecommerce.copy AS SELECT * FROM demo.thelook_ecommerce.users",
    "CREATE OR REPLACE VIEW demo.thelook_ecommerce.v AS SELECT 1 AS x",
    "DROP TABLE demo.thelook_ecommerce.users",
    "ALTER TABLE demo.thelook_ecommerce.users ADD COLUMN x INT64",
    "CREATE TEMP FUNCTION f(x INT64) AS (x); SELECT f(1) AS y",
    "DECLARE x INT64 DEFAULT 1",
    "SET @@dataset_project_id = 'other'",
    "BEGIN SELECT 1; END",
    "BEGIN TRANSACTION",
    "IF TRUE THEN SELECT 1; END IF",
    "LOOP SELECT 1; END LOOP",
    "EXECUTE IMMEDIATE 'DROP TABLE demo.thelook_ecommerce.users'",
    "CALL demo.thelook_ecommerce.proc()",
    "EXPORT DATA OPTIONS(uri='gs://leak/*.csv', format='CSV') AS SELECT * FROM demo.thelook_ecommerce.users",
    "LOAD DATA INTO demo.thelook_ecommerce.users FROM FILES(format='CSV', uris=['gs://x/*'])",
    "SELECT 1 AS a; SELECT 2 AS b",
    "SELECT 1 AS a /* harmless */;DROP TABLE demo.thelook_ecommerce.users",
    "SELECT 1 AS a -- comment\n; DELETE FROM demo.thelook_ecommerce.users WHERE TRUE",
    "SELECT * FROM EXTERNAL_QUERY('us.pg', 'SELECT * FROM secrets')",
    "SELECT a FROM demo.thelook_ecommerce.users, (SELECT * FROM EXTERNAL_QUERY('c', 'x'))",
    "SELECT * FROM ML.PREDICT(MODEL demo.thelook_ecommerce.m, TABLE demo.thelook_ecommerce.users)",
    "SELECT * FROM `region-us`.INFORMATION_SCHEMA.JOBS",
    "SELECT * FROM demo.thelook_ecommerce.INFORMATION_SCHEMA.COLUMNS",
    "SELECT * FROM `demo.thelook_ecommerce.__TABLES__`",
    "SELECT * FROM demo.thelook_ecommerce.events_*",
    "SELECT * FROM `demo.thelook_ecommerce.events_*` WHERE _TABLE_SUFFIX > '2024'",
    "SELECT * FROM users",
    "SELECT * FROM thelook_ecommerce.users",
    "SELECT * FROM `other-project.hr.salaries`",
    "SELECT * FROM demo.thelook_ecommerce.users JOIN `other.hr.salaries` USING (id)",
    "WITH s AS (SELECT * FROM `other.hr.salaries`) SELECT * FROM s",
    "SELECT (SELECT MAX(x) FROM other.hr.salaries) AS m",
    "SELECT @@project_id AS p",
    "SELECT demo.thelook_ecommerce.my_udf(1) AS x",
    "SELEC 1",
    "SELECT 'unterminated",
    "",
    "   ;  ",
    "GRANT `roles/bigquery.admin` ON SCHEMA demo.thelook_ecommerce TO 'user:x@y.z'",
    "ASSERT FALSE AS 'boom'",
    "SELECT * FROM APPENDS(TABLE demo.thelook_ecommerce.users, NULL, NULL)",
]

TRICKY_BUT_VALID = [
    (f"SELECT status, SUM(sale_price) AS revenue FROM {D} GROUP BY status", ("status", "revenue")),
    (
        f"WITH recent AS (SELECT * FROM {D} WHERE created_at > '2024-01-01') SELECT COUNT(*) AS n FROM recent",
        ("n",),
    ),
    (f"SELECT id FROM {D} UNION ALL SELECT id FROM `demo.thelook_ecommerce.orders`", ("id",)),
    (
        "SELECT o.order_id, u.country FROM `demo.thelook_ecommerce.orders` AS o "
        "JOIN `demo`.`thelook_ecommerce`.`users` AS u ON u.id = o.user_id",
        ("order_id", "country"),
    ),
    (f"SELECT (SELECT MAX(sale_price) FROM {D}) AS top_price", ("top_price",)),
    (f"SELECT ';DROP TABLE x' AS s, '--' AS t /* ; DELETE FROM x */ FROM {D}", ("s", "t")),
    (f"SELECT tag FROM {D}, UNNEST(['a', 'b']) AS tag WHERE created_at >= @since", ("tag",)),
    ("SELECT `select`, `from` FROM `demo.thelook_ecommerce.order_items`", ("select", "from")),
    (f"SELECT * EXCEPT (id) FROM {D}", None),
    (
        f"SELECT COUNT(*) AS n FROM {D} FOR SYSTEM_TIME AS OF "
        "TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)",
        ("n",),
    ),
    (f"SELECT status, ROW_NUMBER() OVER (PARTITION BY status) AS r FROM {D} QUALIFY r = 1;", ("status", "r")),
    (f"SELECT APPROX_QUANTILES(sale_price, 2)[OFFSET(1)] AS median, 1 FROM {D}", ("median", "f1_")),
    (
        "SELECT user_id FROM `demo.thelook_ecommerce.orders` WHERE user_id IN "
        "(SELECT id FROM `demo.thelook_ecommerce.users` WHERE country = @country)",
        ("user_id",),
    ),
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_hostile_statements_are_rejected(sql: str) -> None:
    with pytest.raises(UnsafeSql) as caught:
        guard_select(sql, allowed_tables=demo_tables())
    error = caught.value
    assert isinstance(error, ValidationFailed) and error.code == "unsafe_sql"
    assert error.details and all(set(d) == {"path", "line", "column", "message"} for d in error.details)
    assert all(d["path"] == "sql" and d["line"] >= 1 and d["column"] >= 1 for d in error.details)
    assert error.message


def test_there_are_enough_hostile_cases() -> None:
    assert len(HOSTILE) >= 30 and len(TRICKY_BUT_VALID) >= 10


@pytest.mark.parametrize(("sql", "columns"), TRICKY_BUT_VALID)
def test_tricky_selects_are_accepted(sql: str, columns: tuple[str, ...] | None) -> None:
    guarded = guard_select(sql, allowed_tables=demo_tables())
    assert guarded.output_columns == columns
    assert guarded.tables and all(t.startswith("demo.thelook_ecommerce.") for t in guarded.tables)


def test_tables_and_parameters_are_reported() -> None:
    guarded = guard_select(
        "WITH o AS (SELECT * FROM `demo.thelook_ecommerce.orders` WHERE created_at >= @start)\n"
        "SELECT o.user_id FROM o JOIN demo.thelook_ecommerce.users u ON u.id = o.user_id\n"
        "WHERE u.country = @country AND o.created_at < @start",
        allowed_tables=demo_tables(),
    )
    assert guarded.tables == ("demo.thelook_ecommerce.orders", "demo.thelook_ecommerce.users")
    assert guarded.parameters == ("start", "country")
    assert guarded.parameter_positions == {"start": (1, 78), "country": (3, 19)}
    assert guarded.output_columns == ("user_id",)


def test_default_project_qualifies_dataset_tables() -> None:
    guarded = guard_select("SELECT id FROM thelook_ecommerce.users", default_project="demo")
    assert guarded.tables == ("demo.thelook_ecommerce.users",)
    with pytest.raises(UnsafeSql, match=r"project\.dataset\.table"):
        guard_select("SELECT id FROM users", default_project="demo")


def test_metadata_views_pass_only_when_allowed() -> None:
    sql = "SELECT table_name FROM `demo.thelook_ecommerce.INFORMATION_SCHEMA.TABLES`"
    with pytest.raises(UnsafeSql, match="metadata view"):
        guard_select(sql)
    guarded = guard_select(sql, allowed_tables=lambda name: name.endswith("INFORMATION_SCHEMA.TABLES"))
    assert guarded.tables == ("demo.thelook_ecommerce.INFORMATION_SCHEMA.TABLES",)


def test_every_problem_is_listed_with_its_position() -> None:
    sql = "SELECT a\nFROM `other.x.y`\nJOIN `demo.thelook_ecommerce.users` USING (a)\nJOIN ds.events_* USING (a)"
    with pytest.raises(UnsafeSql) as caught:
        guard_select(sql, allowed_tables=demo_tables())
    located = [(d["line"], d["column"]) for d in caught.value.details]
    assert located == [(2, 6), (4, 6)]


def test_parse_errors_carry_the_line() -> None:
    with pytest.raises(UnsafeSql) as caught:
        guard_select("SELECT a\nFROM x.y.z WHERE (b = 1")
    assert caught.value.details[0]["line"] == 2
    assert "does not parse" in caught.value.details[0]["message"]
