"""A join path from the team's knowledge file is followed by the offline planner: on a made-up schema
whose key the catalog cannot detect by name (``courier_code`` → ``carriers.code``), the team's
``joins:`` entry is the only way from the deliveries to the carriers' regions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.adapters.model.offline.catalog_match import Catalog, Join, TableSchema
from shared.adapters.model.offline.intent import parse
from shared.adapters.model.offline.knowledge_terms import KnowledgeTerms
from shared.adapters.model.offline.model import design, resolve
from shared.adapters.model.protocol import TableSchemaResult
from shared.knowledge.model import Knowledge


def _schema(result: dict[str, Any]) -> TableSchema:
    """A table schema from a get_table_schema result (no partitioning or clustering unless given)."""
    return TableSchema.from_result(
        TableSchemaResult.model_validate({"partitioning": None, "clustering": [], **result})
    )


TABLES = [
    _schema(
        {
            "name": "p.ship.deliveries",
            "row_count": 1000,
            "columns": [
                {"name": "id", "type": "INT64"},
                {"name": "weight_kg", "type": "FLOAT64"},
                {"name": "courier_code", "type": "STRING"},
                {"name": "delivered_at", "type": "TIMESTAMP"},
            ],
        }
    ),
    _schema(
        {
            "name": "p.ship.carriers",
            "row_count": 10,
            "columns": [{"name": "code", "type": "STRING"}, {"name": "region", "type": "STRING"}],
        }
    ),
]
KNOWLEDGE = Knowledge.model_validate(
    {"version": 1, "joins": [{"from": "deliveries.courier_code", "to": "carriers.code"}]}
)


def _grouped_sql(catalog: Catalog) -> list[str]:
    intent = parse("total weight by region", dt.date(2026, 1, 1))
    if catalog.terms:
        intent = catalog.terms.rewrite(intent)
    res = resolve(intent, catalog, values={})
    assert res is not None
    draft = design(intent, res, catalog, [], force_period=False, resolve_date=lambda d: d)
    return [q["sql"] for q in draft.dashboard["queries"].values() if "GROUP BY" in q["sql"]]


def test_the_team_join_path_is_the_one_followed() -> None:
    bare = Catalog(TABLES)
    assert bare.path("p.ship.deliveries", "p.ship.carriers") is None
    assert _grouped_sql(bare) == []  # no way to the region: nothing grouped by it

    taught = Catalog(TABLES, KnowledgeTerms(KNOWLEDGE))
    assert taught.path("p.ship.deliveries", "p.ship.carriers") == [
        Join("p.ship.deliveries", "courier_code", "p.ship.carriers", "code")
    ]
    (sql,) = _grouped_sql(taught)
    assert "JOIN `p.ship.carriers` AS c ON c.code = d.courier_code" in sql
    assert "GROUP BY region" in sql and "SUM(d.weight_kg)" in sql
