"""Linking by column descriptions and sample values, and derived measures, on made-up schemas."""

from __future__ import annotations

from shared.adapters.model.offline.catalog_match import Catalog, Col, TableSchema
from shared.adapters.model.offline.chart_build import build_dashboard
from shared.adapters.model.offline.chart_grammar import parse_chart
from shared.adapters.model.offline.derived import derived_asks, resolve_derived, stem
from shared.adapters.model.offline.linking import mentions
from shared.adapters.model.offline.samples import sample_matches
from shared.adapters.model.protocol import ColumnValue

SHIPMENTS = TableSchema(
    "port.logistics.shp",
    (
        Col("shp_no", "INT64"),
        Col("ctry", "STRING", "country the shipment goes to", ("Chile", "Peru", "Norway")),
        Col("amt", "FLOAT64", "declared cargo value in euros"),
        Col("carrier_code", "STRING", "", ("MAERSK", "Hapag", "Evergreen")),
        Col("state", "STRING", "", ("Delivered", "Lost", "Delayed")),
        Col("booked_at", "TIMESTAMP"),
    ),
)
LINES = TableSchema(
    "port.logistics.shipment_lines",
    (
        Col("id", "INT64"),
        Col("shipment_id", "INT64"),
        Col("amount", "FLOAT64"),
        Col("booked_at", "TIMESTAMP"),
    ),
)
SHIPMENT = TableSchema("port.logistics.shipments", (Col("id", "INT64"), Col("port", "STRING")))


def test_a_column_is_named_by_its_description() -> None:
    named = {m.column.name for m in mentions("total declared cargo value by country", SHIPMENTS)}
    assert named == {"amt", "ctry"}
    spec = parse_chart("bar chart of the total cargo value for each country", SHIPMENTS)
    assert spec is not None and spec.x.column is not None and spec.y.column is not None
    assert (spec.x.column.name, spec.y.aggregate, spec.y.column.name) == ("ctry", "sum", "amt")


def test_a_sample_value_named_in_the_request_filters_its_column() -> None:
    spec = parse_chart("bar chart of the number of shipments for each carrier code to Peru", SHIPMENTS)
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "carrier_code"
    sql = build_dashboard(spec)["queries"]["chart"]["sql"]
    assert "LOWER(CAST(t.`ctry` AS STRING)) = 'peru'" in sql, sql
    spec = parse_chart("bar chart of shipments per carrier code, not Lost", SHIPMENTS)
    assert spec is not None
    assert "LOWER(CAST(t.`state` AS STRING)) != 'lost'" in build_dashboard(spec)["queries"]["chart"]["sql"]


def test_sample_values_answer_filter_words_without_a_search() -> None:
    catalog = Catalog([SHIPMENTS])
    found = sample_matches(
        ["norway", "delayed"], catalog, [(SHIPMENTS.name, "ctry"), (SHIPMENTS.name, "state")]
    )
    assert found == {
        ("norway", SHIPMENTS.name, "ctry"): [ColumnValue(value="Norway", count=0)],
        ("delayed", SHIPMENTS.name, "state"): [ColumnValue(value="Delayed", count=0)],
    }


def test_a_rate_reads_its_value_from_the_samples() -> None:
    (ask,) = derived_asks("loss rate by carrier")
    assert (ask.kind, stem(ask.word)) == ("rate", "loss")
    (ask,) = derived_asks("delay rate by carrier")
    (m, *_) = resolve_derived(ask, Catalog([SHIPMENTS]), {})
    assert m.expr == "AVG(CASE WHEN {t}.state = 'Delayed' THEN 1 ELSE 0 END)" and m.format == "percent"


def test_average_per_entity_divides_by_the_distinct_keys() -> None:
    catalog = Catalog([LINES, SHIPMENT])
    ratio = "SUM({t}.amount) / NULLIF(COUNT(DISTINCT {t}.shipment_id), 0)"
    for text in ("average shipment value by month", "average revenue per shipment"):
        (ask,) = derived_asks(text)
        assert (ask.kind, ask.entity) == ("per_entity", "shipment")
        (m, *_) = resolve_derived(ask, catalog, {})
        assert (m.table, m.expr, m.why) == (LINES.name, ratio, "revenue / distinct shipment_id")


def test_an_average_of_a_named_column_is_not_a_ratio() -> None:
    from shared.adapters.model.offline.derived import applies

    catalog = Catalog([LINES, SHIPMENT])
    (ask,) = derived_asks("average amount per shipment")
    assert not applies(ask, catalog)  # the mean of a column, grouped by shipment
