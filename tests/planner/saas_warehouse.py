"""A second, differently shaped warehouse for the planner: a B2B SaaS billing schema in DuckDB.

Names differ from the demo on purpose: ``amount_cents``, ``mrr_cents``, ``signup_date`` (DATE),
``issued_at``, ``plan_id`` → ``plans.id``, ``account_id`` → ``accounts.id``. Rows are generated
deterministically with SQL (seeded ``random``), spread over the three years up to today.
Partitioning is declared in the ``_bridge`` metadata schema the DuckDB adapter reads.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DATASET = "billing"
PROJECT = "acme"

TABLES = {
    "plans": (
        "Subscription plans on the price list",
        None,
        [
            ("id", "BIGINT", "Plan id"),
            ("name", "VARCHAR", "Plan name: Starter, Team, Business, Enterprise"),
            ("tier", "VARCHAR", "Tier: self-serve or sales-led"),
            ("monthly_price_cents", "BIGINT", "List price per month in cents (USD)"),
        ],
    ),
    "accounts": (
        "Customer accounts (companies)",
        None,
        [
            ("id", "BIGINT", "Account id"),
            ("name", "VARCHAR", "Company name"),
            ("industry", "VARCHAR", "Industry: Software, Retail, Finance, Health, Education, Media"),
            ("country", "VARCHAR", "Billing country, e.g. Germany, France, United States"),
            ("employees", "BIGINT", "Head count"),
            ("signup_date", "DATE", "Day the account signed up"),
            ("plan_id", "BIGINT", "Current plan (plans.id)"),
        ],
    ),
    "subscriptions": (
        "One row per subscription period of an account",
        "started_on",
        [
            ("id", "BIGINT", "Subscription id"),
            ("account_id", "BIGINT", "Account (accounts.id)"),
            ("plan_id", "BIGINT", "Plan (plans.id)"),
            ("status", "VARCHAR", "active, canceled or trialing"),
            ("started_on", "DATE", "First day of the subscription"),
            ("canceled_on", "DATE", "Cancellation day; null while active"),
            ("mrr_cents", "BIGINT", "Monthly recurring revenue in cents"),
        ],
    ),
    "invoices": (
        "Invoices sent to accounts; amount_cents is billed revenue",
        "issued_at",
        [
            ("id", "BIGINT", "Invoice id"),
            ("account_id", "BIGINT", "Account (accounts.id)"),
            ("subscription_id", "BIGINT", "Subscription billed (subscriptions.id)"),
            ("amount_cents", "BIGINT", "Invoice total in cents (USD)"),
            ("status", "VARCHAR", "paid, open or void"),
            ("issued_at", "TIMESTAMP", "Time the invoice was issued (UTC)"),
            ("paid_at", "TIMESTAMP", "Time it was paid; null while open"),
        ],
    ),
    "usage_events": (
        "Product usage events",
        "occurred_at",
        [
            ("event_id", "BIGINT", "Event id"),
            ("account_id", "BIGINT", "Account (accounts.id)"),
            ("feature", "VARCHAR", "Feature used: editor, reports, api, export, sharing"),
            ("occurred_at", "TIMESTAMP", "Event time (UTC)"),
            ("duration_ms", "BIGINT", "Time spent in milliseconds"),
        ],
    ),
}

_ROWS = f"""
INSERT INTO {DATASET}.plans VALUES
  (1, 'Starter', 'self-serve', 2900), (2, 'Team', 'self-serve', 9900),
  (3, 'Business', 'sales-led', 49900), (4, 'Enterprise', 'sales-led', 199900);
INSERT INTO {DATASET}.accounts
SELECT i,
       'Company ' || i,
       (['Software', 'Retail', 'Finance', 'Health', 'Education', 'Media'])[1 + (i * 7) % 6],
       (['United States', 'Germany', 'France', 'United Kingdom', 'Brazil', 'Japan', 'India'])[1 + (i * 3) % 7],
       10 + (i * 37) % 2000,
       current_date - CAST(1 + (i * 13) % 1090 AS INTEGER),
       1 + (i * 5) % 4
FROM range(1, 401) t(i);
INSERT INTO {DATASET}.subscriptions
SELECT a.id, a.id, a.plan_id,
       CASE WHEN a.id % 9 = 0 THEN 'canceled' WHEN a.id % 13 = 0 THEN 'trialing' ELSE 'active' END,
       a.signup_date,
       CASE WHEN a.id % 9 = 0 THEN a.signup_date + 200 END,
       p.monthly_price_cents * (1 + a.id % 3)
FROM {DATASET}.accounts a JOIN {DATASET}.plans p ON p.id = a.plan_id;
INSERT INTO {DATASET}.invoices
SELECT row_number() OVER (),
       s.account_id, s.id,
       s.mrr_cents + (m * 137) % 1000,
       CASE WHEN m = 0 AND s.id % 4 = 0 THEN 'open' WHEN s.id % 17 = 0 THEN 'void' ELSE 'paid' END,
       CAST(s.started_on + CAST(30 * m AS INTEGER) AS TIMESTAMP) + INTERVAL 9 HOUR,
       CASE WHEN NOT (m = 0 AND s.id % 4 = 0) THEN CAST(s.started_on + CAST(30 * m + 3 AS INTEGER) AS TIMESTAMP) END
FROM {DATASET}.subscriptions s, range(0, 40) r(m)
WHERE s.started_on + CAST(30 * m AS INTEGER) <= current_date
  AND (s.canceled_on IS NULL OR s.started_on + CAST(30 * m AS INTEGER) <= s.canceled_on);
INSERT INTO {DATASET}.usage_events
SELECT i, 1 + (i * 31) % 400,
       (['editor', 'reports', 'api', 'export', 'sharing'])[1 + (i * 11) % 5],
       CAST(current_date - CAST((i * 17) % 1000 AS INTEGER) AS TIMESTAMP) + INTERVAL ((i * 7) % 24) HOUR,
       100 + (i * 53) % 60000
FROM range(1, 8001) t(i);
"""


def build_saas(path: Path) -> Path:
    """Write the SaaS billing warehouse to ``path`` and return it."""
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE SCHEMA {DATASET}")
        for name, (description, _, columns) in TABLES.items():
            con.execute(f"CREATE TABLE {DATASET}.{name} ({', '.join(f'{c} {t}' for c, t, _ in columns)})")
            con.execute(f"COMMENT ON TABLE {DATASET}.{name} IS '{description}'")
            for column, _, note in columns:
                con.execute(f"COMMENT ON COLUMN {DATASET}.{name}.{column} IS '{note}'")
        con.execute(_ROWS)
        con.execute("CREATE SCHEMA _bridge")
        con.execute("CREATE TABLE _bridge.datasets (dataset VARCHAR, description VARCHAR, location VARCHAR)")
        con.execute(
            f"INSERT INTO _bridge.datasets VALUES ('{DATASET}', 'Billing and usage of Acme SaaS', 'local')"
        )
        con.execute(
            "CREATE TABLE _bridge.tables (dataset VARCHAR, table_name VARCHAR, partition_column VARCHAR,"
            " partition_type VARCHAR, clustering VARCHAR[])"
        )
        for name, (_, partition, _) in TABLES.items():
            con.execute(
                "INSERT INTO _bridge.tables VALUES (?, ?, ?, ?, ?)",
                [DATASET, name, partition, "DAY" if partition else None, []],
            )
        con.execute("CHECKPOINT")
    return path
