"""Conditions of chart requests applied in the SQL, on a made-up schema (a plant nursery)."""

from __future__ import annotations

import pytest

from shared.adapters.model.offline.catalog_match import Col, TableSchema
from shared.adapters.model.offline.chart_build import build_dashboard
from shared.adapters.model.offline.chart_grammar import parse_chart

PLANTS = TableSchema(
    "nursery.stock.Plants",
    (
        Col("PlantID", "INT64"),
        Col("Species", "STRING"),
        Col("Greenhouse", "STRING"),
        Col("height_cm", "FLOAT64"),
        Col("pot_count", "INT64"),
        Col("plant_age", "INT64"),
        Col("sown_on", "DATE"),
    ),
)

CASES = [
    # request, the WHERE fragment it must hold
    ("bar chart of the number of plants for each greenhouse whose height cm is above 40", "t.`height_cm` > 40"),
    ("bar chart of the number of plants for each greenhouse with pot count between 2 and 5", "t.`pot_count` BETWEEN 2 AND 5"),
    ("bar chart of the number of plants by greenhouse, for plants that have at least 3 pot count", "t.`pot_count` >= 3"),
    ("count plants for each greenhouse whose species is not \"Fern\", as a bar chart", "LOWER(CAST(t.`Species` AS STRING)) != 'fern'"),
    ("bar chart of plants per greenhouse where species is 'Orchid'", "LOWER(CAST(t.`Species` AS STRING)) = 'orchid'"),
    ("bar chart of the number of plants per greenhouse sown on before 2021-03-15", "DATE(t.`sown_on`) < DATE '2021-03-15'"),
    ("bar chart of the number of plants per greenhouse whose sown on is after 2020", "DATE(t.`sown_on`) > DATE '2020-12-31'"),
    ("bar chart of the number of plants for each greenhouse that are older than 3", "t.`plant_age` > 3"),
    ("bar chart of the number of plants per greenhouse whose height cm is not null", "t.`height_cm` IS NOT NULL"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_condition_is_applied_in_the_sql(case: tuple[str, str]) -> None:
    text, fragment = case
    spec = parse_chart(text, PLANTS)
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "Greenhouse", spec
    sql = build_dashboard(spec)["queries"]["chart"]["sql"]
    assert fragment in sql, sql
    assert spec.conditions == [], spec.conditions


def test_a_clause_joined_by_or_is_left_out_and_named() -> None:
    spec = parse_chart(
        "bar chart of the number of plants per greenhouse whose height cm is above 40 or pot count is 2",
        PLANTS,
    )
    assert spec is not None and spec.filters == []
    assert spec.conditions and "height_cm" in spec.conditions[0]
    assert "WHERE t.`Greenhouse` IS NOT NULL\n" in build_dashboard(spec)["queries"]["chart"]["sql"]


def test_filter_columns_never_become_axes() -> None:
    spec = parse_chart("average height cm for each species whose pot count is at most 4, bar chart", PLANTS)
    assert spec is not None and spec.x.column is not None and spec.y.column is not None
    assert (spec.x.column.name, spec.y.aggregate, spec.y.column.name) == ("Species", "avg", "height_cm")
    assert [f.describe() for f in spec.filters] == ["pot_count <= 4"]
