"""Phrasings the chart grammar reads on a schema of its own (a greenhouse): where conditions end,
which column a count puts on the x axis, sort clauses that place no axis, "a vs b based on c"."""

from __future__ import annotations

import pytest

from shared.adapters.model.offline.catalog_match import Col, TableSchema
from shared.adapters.model.offline.chart_grammar import parse_chart

PLANTS = TableSchema(
    "garden.beds.plant",
    (
        Col("PlantID", "INT64"),
        Col("Species", "STRING"),
        Col("Bed_Zone", "STRING"),
        Col("Status", "STRING"),
        Col("Gardener", "STRING"),
        Col("height_cm", "FLOAT64"),
        Col("water_ml", "INT64"),
        Col("sown_date", "DATE"),
    ),
)

CASES = [
    # request, mark, x, y aggregate, y column (None: rows counted), colour
    # a condition ends where a grouping phrase begins
    ("How many plants whose gardener is not 'Ann' for each species? Show me a bar chart.", "bar", "Species", "count", None, None),
    # "when", "their ... is" and "with <column> <quoted value>" start conditions
    ("Show a bar chart about the number of statuses of plants when the gardener is not 'Ann'.", "bar", "Status", "count", None, None),
    ("A bar chart showing the number of species for all plants Their bed zone is North.", "bar", "Species", "count", None, None),
    ("A bar chart of the number of species with status \"Wilted\".", "bar", "Species", "count", None, None),
    # a counted column named first is the x axis; a column named in a sort clause is not
    ("A bar chart of the number of species in ascending order of the height cm.", "bar", "Species", "count", None, None),
    ("What are the number of the species of the plants, ordered by water ml descending?", "bar", "Species", "count", None, None),
    # "each x", "every x", "each kind of x"
    ("How many plants did each gardener tend? Plot a bar chart.", "bar", "Gardener", "count", None, None),
    ("Return a pie on how many plants have had each kind of status.", "pie", "Status", "count", None, None),
    # the grouping phrase is the x axis and "grouped by" the series
    ("The number of plants for each species, grouped by gardener, as a stacked bar chart.", "bar", "Species", "count", None, "Gardener"),
    # "a vs b based on c": c on x, a on y, b the series
    ("Stacked bar chart of height cm vs gardener based on species.", "bar", "Species", "none", "height_cm", "Gardener"),
    # two listed columns stay x then y when the sort clause names the second ("by the height cm")
    ("A bar chart shows the distribution of species and height cm, and group by attribute gardener, and list from high to low by the height cm.",
     "bar", "Species", "none", "height_cm", "Gardener"),
    # "the total number" of a sort clause does not turn a listed column into a count
    ("Find species and height cm, and visualize them by a bar chart, rank by the total number in asc.", "bar", "Species", "none", "height_cm", None),
    # "maximal" / "minimal" are aggregates
    ("Bar graph to show maximal height cm from different species.", "bar", "Species", "max", "height_cm", None),
    ("Show the minimal water ml for each bed zone in a bar chart.", "bar", "Bed_Zone", "min", "water_ml", None),
    # "that groups by" places the series; it is no condition
    ("Find the number of plants in each bed zone with a group line chart that groups by gardener.", "line", "Bed_Zone", "count", None, "Gardener"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_phrasing_reads_into_the_asked_chart(case: tuple) -> None:
    text, mark, x, agg, y, color = case
    spec = parse_chart(text, PLANTS)
    assert spec is not None
    assert (spec.mark, spec.x.column and spec.x.column.name) == (mark, x)
    assert spec.y.aggregate == agg
    counted = spec.y.column is None or spec.y.column.name == x  # COUNT(*) or COUNT(x)
    assert counted if agg == "count" else (spec.y.column and spec.y.column.name) == y
    assert (spec.color and spec.color.name) == color


def test_conditions_cut_at_a_grouping_phrase_are_applied() -> None:
    spec = parse_chart(
        "How many plants whose gardener is not 'Ann' for each species? Show a bar chart.", PLANTS
    )
    assert spec is not None
    assert [f.describe() for f in spec.filters] == ["Gardener != ann"] and spec.conditions == []


def test_a_condition_introduced_by_when_is_applied() -> None:
    spec = parse_chart("A bar chart of the number of statuses when the gardener is not 'Ann'", PLANTS)
    assert spec is not None and [f.describe() for f in spec.filters] == ["Gardener != ann"]


def test_a_question_word_when_starts_no_condition() -> None:
    spec = parse_chart(
        "when is the sown date for plants whose status is 'Wilted'? count them by a bar chart", PLANTS
    )
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "sown_date"


BEDS = TableSchema(
    "garden.beds.bed",
    (Col("bed_id", "INT64"), Col("Name", "STRING"), Col("area_m2", "FLOAT64"), Col("soil", "STRING")),
)


def test_a_measure_of_each_row_is_drawn_against_the_rows_label() -> None:
    spec = parse_chart(
        "List the area m2 of each bed in a bar chart, sort by the y-axis from high to low", BEDS
    )
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "Name"
    assert (spec.y.aggregate, spec.y.column and spec.y.column.name) == ("none", "area_m2")


def test_a_number_listed_before_a_category_goes_on_the_y_axis_of_bars() -> None:
    spec = parse_chart("What are the area m2 and soil of the beds? Show a bar chart.", BEDS)
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "soil"
    assert (spec.y.aggregate, spec.y.column and spec.y.column.name) == ("none", "area_m2")
    spec = parse_chart("the relationship between area m2 and bed id", BEDS)  # a scatter keeps the order
    assert spec is not None and spec.mark == "scatter" and spec.x.column is not None
    assert spec.x.column.name == "area_m2"


def test_words_written_as_one_name_the_column() -> None:
    from shared.adapters.model.offline.linking import mentions

    found = [m.column.name for m in mentions("the average height cm of each bedzone", PLANTS)]
    assert found == ["height_cm", "Bed_Zone"]
    spec = parse_chart("Bar chart of the average height cm from each bedzone", PLANTS)
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "Bed_Zone"


@pytest.mark.parametrize(
    "text",
    [
        "How many plants for each species?, and list by the Y-axis from high to low.",
        "what is the number of plants whose water ml is less than 30 for each species?, and list x axis in ascending order.",
    ],
)
def test_the_chart_answers_when_it_places_the_words_the_designer_could_not(text: str) -> None:
    from shared.adapters.model.offline.catalog_match import Catalog
    from shared.adapters.model.offline.chart_plan import chart_request
    from shared.adapters.model.offline.design import resolve
    from shared.adapters.model.offline.intent import parse

    catalog = Catalog([PLANTS, BEDS])
    intent = parse(text)
    res = resolve(intent, catalog)
    assert res is not None and res.unresolved  # sort / condition words the designer cannot place
    spec = chart_request(text, catalog, intent, res)
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "Species"
    assert spec.y.aggregate == "count" and spec.sort is not None


def test_the_total_number_of_a_quantity_sums_it_and_of_a_key_counts_it() -> None:
    spec = parse_chart("Bar chart x axis species y axis total number of water ml", PLANTS)
    assert spec is not None and (spec.y.aggregate, spec.y.column and spec.y.column.name) == (
        "sum",
        "water_ml",
    )
    spec = parse_chart("Show me a bar chart for how many total water ml are used by each species?", PLANTS)
    assert spec is not None and (spec.y.aggregate, spec.y.column and spec.y.column.name) == (
        "sum",
        "water_ml",
    )
    spec = parse_chart("a bar chart of the total number of plant id for each species", PLANTS)
    assert spec is not None and spec.y.aggregate == "count"


def test_one_word_may_stand_between_average_and_its_column() -> None:
    spec = parse_chart("Show me a bar chart for the average plant height cm for each species", PLANTS)
    assert spec is not None and (spec.y.aggregate, spec.y.column and spec.y.column.name) == (
        "avg",
        "height_cm",
    )


CREW = TableSchema(
    "ship.crew.sailor",
    (Col("sailor_id", "INT64"), Col("Name", "STRING"), Col("rank", "STRING"), Col("sailor_age", "INT64")),
)


@pytest.mark.parametrize(
    ("text", "agg"),
    [
        ("how old is the youngest sailor for each rank? Show a bar chart.", "min"),
        ("Show me the oldest sailor of each rank in a bar chart.", "max"),
        ("Return a bar chart on how old is the average sailor for each rank?", "avg"),
    ],
)
def test_age_words_name_the_age_column(text: str, agg: str) -> None:
    spec = parse_chart(text, CREW)
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "rank"
    assert (spec.y.aggregate, spec.y.column and spec.y.column.name) == (agg, "sailor_age")


def test_an_age_order_is_no_age_measure() -> None:
    spec = parse_chart(
        "Show the sailor age of each sailor in a bar chart from the oldest to the youngest.", CREW
    )
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "Name"
    assert (spec.y.aggregate, spec.y.column and spec.y.column.name) == ("none", "sailor_age")


def test_the_id_of_the_rows_names_the_tables_own_key() -> None:
    pets = TableSchema(
        "shelter.pets.Pets",
        (Col("PetID", "INT64"), Col("owner_id", "INT64"), Col("weight", "FLOAT64"), Col("kind", "STRING")),
    )
    spec = parse_chart("What is the id and weight of every pet? Show a bar chart.", pets)
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "PetID"
    assert (spec.y.aggregate, spec.y.column and spec.y.column.name) == ("none", "weight")
    spec = parse_chart("a bar chart of the average weight for each owner_id", pets)  # "id" of owner_id
    assert spec is not None and spec.x.column is not None and spec.x.column.name == "owner_id"
