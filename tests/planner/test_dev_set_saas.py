"""Development set over a second, differently shaped schema (SaaS billing: cents, DATE sign-ups, plans).

Nothing in the planner knows this schema; it must find measures, keys and dates by their names.
"""

from __future__ import annotations

import pytest

from .planner_checks import Case, check_dashboard
from .planner_env import PlannerEnv

CASES = [
    Case(
        "monthly invoiced revenue",
        ("kpi", "line"),
        ("invoices",),
        ("month", "revenue"),
        ("SUM(i.amount_cents) / 100",),
    ),
    Case("revenue by plan", ("bar",), ("invoices", "plans"), ("plan",)),
    Case("MRR by plan as a pie", ("pie",), ("subscriptions", "plans"), ("plan", "mrr"), ("/ 100",)),
    Case("number of accounts by industry", ("bar",), ("accounts",), ("industry", "accounts")),
    Case("new signups per month", ("line",), ("accounts",), ("month",), ("DATE(a.signup_date)",)),
    Case("top 10 accounts by revenue", ("bar",), ("invoices", "accounts"), ("account",), top_n=10),
    Case(
        "average invoice amount by country",
        ("bar",),
        ("invoices", "accounts"),
        ("avg_amount", "country"),
        ("AVG(i.amount_cents) / 100",),
    ),
    Case(
        "invoices in 2025 by status",
        ("bar",),
        ("invoices",),
        ("status", "invoices"),
        params={"period": {"start": "2025-01-01", "end": "2025-12-31"}},
    ),
    Case("subscriptions by status as a pie", ("pie",), ("subscriptions",), ("status",)),
    Case("usage events by feature", ("bar",), ("usage_events",), ("feature",)),
    Case(
        "revenue by month for the last 6 months",
        ("line",),
        ("invoices",),
        ("month",),
        ("DATE(i.issued_at) BETWEEN @period_start AND @period_end",),
        {"period": {"start": "today-6m", "end": "today"}},
    ),
    Case(
        "revenue in Germany by month",
        ("line",),
        ("invoices", "accounts"),
        ("month",),
        ("= @country",),
        {"country": "Germany"},
    ),
    Case("total MRR", ("kpi",), ("subscriptions",), ("mrr",), exact_views=True),
    Case("accounts by plan tier", ("bar",), ("accounts", "plans"), ("tier",)),
    Case(
        "invoices with status paid by month",
        ("line",),
        ("invoices",),
        ("month",),
        ("= @status",),
        {"status": "paid"},
    ),
    Case(
        "number of paid invoices", ("kpi",), ("invoices",), ("invoices",), ("= @status",), {"status": "paid"}
    ),
    Case(
        "canceled subscriptions by plan",
        ("bar",),
        ("subscriptions", "plans"),
        ("plan",),
        ("= @status",),
        {"status": "canceled"},
    ),
    Case(
        "revenue from Software accounts by month",
        ("line",),
        ("invoices", "accounts"),
        ("month",),
        ("= @industry",),
        {"industry": "Software"},
    ),
    Case("average employees by industry", ("bar",), ("accounts",), ("avg_employees", "industry")),
    Case("revenue by industry as a table", ("table",), ("invoices", "accounts"), ("industry",)),
    Case(
        "weekly usage events for the last 3 months",
        ("line",),
        ("usage_events",),
        ("week",),
        params={"period": {"start": "today-3m", "end": "today"}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_request_on_second_schema(saas_env: PlannerEnv, case: Case) -> None:
    turn = saas_env.ask_new(case.message)
    assert turn.saved is not None, turn.text
    check_dashboard(saas_env, turn.saved["dashboard_slug"], case)


def test_vague_request_offers_options_from_this_schema(saas_env: PlannerEnv) -> None:
    turn = saas_env.ask("show me something interesting")
    assert turn.saved is None
    options = [line for line in turn.text.splitlines() if line.startswith("- ")]
    assert 2 <= len(options) <= 4
    assert any("invoices" in o or "accounts" in o for o in options), options


SAAS_FOLLOW_UPS = [
    ("monthly invoiced revenue", "add a KPI for number of accounts",
     Case("", ("kpi", "kpi", "line"), ("accounts", "invoices"), exact_views=True)),
    ("monthly invoiced revenue", "only 2025",
     Case("", ("kpi", "line"), ("invoices",), sql=("DATE(i.issued_at) BETWEEN @period_start AND @period_end",),
          params={"period": {"start": "2025-01-01", "end": "2025-12-31"}})),
    ("revenue by plan", "show the plans as a table", Case("", ("kpi", "table"), ("plans",), exact_views=True)),
    ("number of accounts by industry", "remove the kpi", Case("", ("bar",), ("accounts",), exact_views=True)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("first", "follow_up", "expected"), SAAS_FOLLOW_UPS, ids=[f[1] for f in SAAS_FOLLOW_UPS]
)
def test_follow_up_on_second_schema(saas_env: PlannerEnv, first: str, follow_up: str, expected: Case) -> None:
    saas_env = saas_env.fresh()  # the first requests repeat other tests' requests
    session = saas_env.session()
    created = saas_env.ask(first, session)
    assert created.saved is not None, created.text
    edited = saas_env.ask(follow_up, session)
    assert edited.saved is not None, edited.text
    assert edited.saved["dashboard_slug"] == created.saved["dashboard_slug"]
    assert edited.saved["version"] == created.saved["version"] + 1
    check_dashboard(saas_env, created.saved["dashboard_slug"], expected)
