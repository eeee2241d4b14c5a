"""Saved dashboards → predictions: views in reading order, channels traced through the SQL to source columns."""

from __future__ import annotations

from pathlib import Path

from shared.bootstrap import Container
from shared.evaluation import onboard
from shared.evaluation.predict import QueryTracer, Traced, dashboard_views
from shared.evaluation.tables import build_duckdb, nvbench1_databases
from shared.services import dashboards

OWN = Path(__file__).resolve().parents[1] / "fixtures" / "eval" / "own-cases"
T = "`nvbench.shelter.animals`"

# Listed out of reading order on purpose; every query is real SQL over the fixture table.
YAML = f"""
version: 1
title: Shelter
queries:
  raw:
    sql: SELECT a.species, a.adopted, a.weight_kg, a.age_years, a.intake_date FROM {T} AS a
  per_species:
    sql: |
      WITH s AS (SELECT species AS kind, COUNT(*) AS n, SUM(weight_kg) AS kg FROM {T} GROUP BY species)
      SELECT s.kind, s.n, s.kg / 1000 AS tonnes FROM s ORDER BY s.n DESC
  by_weekday:
    sql: |
      SELECT FORMAT_DATE('%A', a.intake_date) AS day_name, AVG(a.weight_kg) AS avg_kg
      FROM {T} AS a GROUP BY day_name
  by_year:
    sql: |
      SELECT y, MAX(w) AS heaviest
      FROM (SELECT EXTRACT(YEAR FROM intake_date) AS y, weight_kg AS w FROM {T}) AS sub GROUP BY y
views:
  - id: total
    type: kpi
    query: per_species
    value: {{field: n, aggregate: sum}}
    layout: {{x: 0, y: 0, w: 3, h: 2}}
  - id: stacked
    type: bar
    query: raw
    x: {{field: species}}
    y: {{field: weight_kg, aggregate: avg}}
    color: {{field: adopted, stack: grouped}}
    layout: {{x: 6, y: 2, w: 6, h: 4}}
  - id: horizontal
    type: bar
    query: per_species
    x: {{field: n, type: quantitative}}
    y: {{field: kind, type: nominal, sort: desc}}
    layout: {{x: 0, y: 2, w: 6, h: 4}}
  - id: share
    type: pie
    query: per_species
    theta: {{field: tonnes}}
    color: {{field: kind}}
    layout: {{x: 3, y: 0, w: 9, h: 2}}
  - id: monthly
    type: line
    query: raw
    x: {{field: intake_date, time_grain: month}}
    y: {{field: age_years, aggregate: count}}
    layout: {{x: 0, y: 6, w: 4, h: 4}}
  - id: weekday
    type: bar
    query: by_weekday
    x: {{field: day_name}}
    y: {{field: avg_kg}}
    sort: {{field: avg_kg, order: desc}}
    layout: {{x: 4, y: 6, w: 4, h: 4}}
  - id: points
    type: scatter
    query: raw
    x: {{field: age_years}}
    y: {{field: weight_kg}}
    color: {{field: species}}
    layout: {{x: 8, y: 6, w: 4, h: 4}}
  - id: yearly
    type: line
    query: by_year
    x: {{field: y}}
    y: {{field: heaviest}}
    layout: {{x: 0, y: 10, w: 6, h: 3}}
  - id: rows
    type: table
    query: raw
    columns: [{{field: species}}]
    layout: {{x: 6, y: 10, w: 6, h: 3}}
"""


def saved_yaml(c: Container, tmp_path: Path, text: str) -> str:
    """Save ``text`` through the product's save path (validation, dry runs, store) and read it back."""
    path = build_duckdb(
        nvbench1_databases(OWN / "tables")["shelter"], c.settings.duckdb_root_paths[0] / "shelter.duckdb"
    )
    who = onboard.eval_user()
    team_id = onboard.ensure_team(c, who)
    conn_id = onboard.ensure_connection(c, who, team_id, "shelter", path, "nvbench")
    with c.db.session() as s:
        dashboards.save_dashboard(c, s, who, team_id, "shelter", text, if_match=None, connection_id=conn_id)
    with c.db.session() as s:
        return dashboards.get_dashboard(c, s, who, team_id, "shelter")[1]


def test_saved_dashboard_views_in_reading_order_traced_to_source_columns(
    container: Container, tmp_path: Path
) -> None:
    views = dashboard_views(saved_yaml(container, tmp_path, YAML))
    assert [v["id"] for v in views] == [
        "share", "horizontal", "stacked", "monthly", "weekday", "points", "yearly", "rows",
    ]  # fmt: skip
    got = {v["id"]: v for v in views}
    # pie: slice category from color, size from theta; SUM(kg)/1000 through the CTE is still SUM(weight_kg)
    assert got["share"]["mark"] == "pie"
    assert got["share"]["x"] == {"field": "species", "aggregate": "none", "bin": None}
    assert got["share"]["y"] == {"field": "weight_kg", "aggregate": "sum"}
    # a horizontal bar: the category (on y) becomes x, the count (on x) the measure; its sort follows
    assert got["horizontal"]["x"]["field"] == "species"
    assert got["horizontal"]["y"] == {"field": None, "aggregate": "count"}
    assert got["horizontal"]["sort"] == {"by": "x", "order": "desc"}
    # a series bar: the view aggregates raw rows; the colour is the series
    assert got["stacked"]["y"] == {"field": "weight_kg", "aggregate": "avg"}
    assert (got["stacked"]["color"], got["stacked"]["stack"]) == ("adopted", "grouped")
    assert got["monthly"]["x"] == {"field": "intake_date", "aggregate": "none", "bin": "month"}
    assert got["monthly"]["y"] == {"field": "age_years", "aggregate": "count"}
    assert got["weekday"]["x"]["bin"] == "weekday"
    assert got["weekday"]["y"] == {"field": "weight_kg", "aggregate": "avg"}
    assert got["weekday"]["sort"] == {"by": "y", "order": "desc"}
    assert got["points"]["mark"] == "scatter" and got["points"]["color"] == "species"
    assert got["points"]["y"] == {"field": "weight_kg", "aggregate": "none"}
    # through a derived table: EXTRACT(YEAR) is a year bin, MAX over the subquery's column
    assert got["yearly"]["x"] == {"field": "intake_date", "aggregate": "none", "bin": "year"}
    assert got["yearly"]["y"] == {"field": "weight_kg", "aggregate": "max"}
    assert got["rows"] == {"mark": "table", "id": "rows"}


def test_the_query_tracer_on_its_own() -> None:
    sql = (
        "SELECT DATE_TRUNC(DATE(o.created_at), WEEK) AS wk, COUNT(DISTINCT o.user_id) AS users, "
        "SUM(o.a) / SUM(o.b) AS ratio, ROUND(AVG(o.price), 2) AS avg_price FROM `p.d.orders` AS o "
        "GROUP BY wk ORDER BY users DESC"
    )
    t = QueryTracer(sql)
    assert t.column("wk") == Traced("created_at", "none", "week")
    assert t.column("USERS") == Traced("user_id", "count_distinct")
    assert t.column("ratio") == Traced(None, "expression")  # two aggregates: not one source column
    assert t.column("avg_price") == Traced("price", "avg")
    assert t.column("missing") == Traced("missing")
    assert t.order_by() == ("users", "desc")
    assert QueryTracer("not sql at all (").column("x") == Traced("x")
    buckets = QueryTracer(
        "SELECT FLOOR(a.age / 10) * 10 AS decade, RANGE_BUCKET(a.kg, [0, 5, 10]) AS band, "
        "DIV(a.n, 3) AS third, COUNT(*) AS c FROM t AS a GROUP BY decade, band, third"
    )
    assert buckets.column("decade") == Traced("age", "none", "numeric")  # nvBench 2.0's numeric bins
    assert buckets.column("band") == Traced("kg", "none", "numeric")
    assert buckets.column("third") == Traced("n", "none", "numeric")


def test_kpi_only_or_broken_yaml_has_no_views() -> None:
    kpi = """
version: 1
title: K
queries: {q: {sql: "SELECT COUNT(*) AS n FROM t"}}
views:
  - {id: n, type: kpi, query: q, value: {field: n}, layout: {x: 0, y: 0, w: 3, h: 2}}
"""
    assert dashboard_views(kpi) == []
    assert dashboard_views("views: [") == []
    assert dashboard_views("version: 1\ntitle: x\nviews: 3\n") == []
