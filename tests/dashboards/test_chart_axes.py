"""Readable charts: category order, compact ticks, time ticks, series colours."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.dashboards.compile import compile_dashboard
from shared.dashboards.theme import CATEGORY_DARK, CATEGORY_LIGHT, theme_config

from .helpers import VEGA_LITE_SCHEMA

needs_vega_lite = pytest.mark.skipif(not VEGA_LITE_SCHEMA.exists(), reason="npm ci not run")


def bar(sql: str, **view: Any) -> dict[str, Any]:
    """The compiled Vega-Lite spec of one bar view over ``sql``."""
    dashboard = {
        "version": 1,
        "title": "t",
        "queries": {"q": {"sql": sql}},
        "views": [
            {
                "id": "v",
                "type": "bar",
                "query": "q",
                "x": {"field": "country"},
                "y": {"field": "revenue", "format": "currency"},
                "layout": {"x": 0, "y": 0, "w": 6, "h": 4},
                **view,
            }
        ],
    }
    return compile_dashboard(dashboard).view("v").spec


PLAIN = "SELECT country, SUM(sale_price) AS revenue FROM t GROUP BY country"
ORDERED = PLAIN + " ORDER BY country"


def test_bars_default_to_value_descending() -> None:
    assert bar(PLAIN)["encoding"]["x"]["sort"] == "-y"


def test_the_querys_own_order_is_kept_when_the_view_does_not_resort() -> None:
    assert bar(ORDERED)["encoding"]["x"]["sort"] is None


def test_an_explicit_sort_is_honoured_by_field_and_direction() -> None:
    by_value_up = bar(ORDERED, sort={"field": "revenue", "order": "asc"})
    assert by_value_up["encoding"]["x"]["sort"] == "y"
    by_label_down = bar(PLAIN, sort={"field": "country", "order": "desc"})
    assert by_label_down["encoding"]["x"]["sort"] == "descending"
    axis_sort = bar(PLAIN, x={"field": "country", "sort": "asc"})
    assert axis_sort["encoding"]["x"]["sort"] == "ascending"


def test_sql_and_drawing_agree_on_order() -> None:
    dashboard = compile_dashboard(
        {
            "version": 1,
            "title": "t",
            "queries": {"q": {"sql": PLAIN}},
            "views": [
                {
                    "id": "v",
                    "type": "bar",
                    "query": "q",
                    "x": {"field": "country"},
                    "y": {"field": "revenue"},
                    "sort": {"field": "revenue", "order": "desc"},
                    "layout": {"x": 0, "y": 0, "w": 6, "h": 4},
                }
            ],
        }
    )
    view = dashboard.view("v")
    assert re.search(r'ORDER BY\s+"?`?revenue`?"?\s+DESC', view.sql or "", re.IGNORECASE)
    assert view.spec["encoding"]["x"]["sort"] == "-y"


def test_time_axes_are_ascending_and_ticked_by_their_grain() -> None:
    spec = bar(
        "SELECT created_at, sale_price AS revenue FROM t",
        x={"field": "created_at", "type": "temporal", "time_grain": "year"},
    )
    x = spec["encoding"]["x"]
    # bars: one band per year, in time order (an ordinal axis with the grain's time unit)
    assert x["type"] == "ordinal" and x["timeUnit"] == "utcyear" and x["sort"] == "ascending"
    assert x["axis"]["format"] == "%Y" and "tickCount" not in x["axis"] and "scale" not in x
    assert x["axis"]["labelOverlap"] is True and x["axis"]["labelSeparation"] >= 4  # crowded periods thin out


@needs_vega_lite
def test_money_ticks_are_compact_without_cents() -> None:
    import vl_convert

    spec = bar(PLAIN)
    rows = [{"country": c, "revenue": v} for c, v in [("A", 350_000.5), ("B", 1_250_000.0), ("C", 12.25)]]
    svg = vl_convert.vegalite_to_svg({**spec, "data": {"values": rows}, "width": 400, "height": 300})
    ticks = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    money = [t for t in ticks if t.startswith("$")]
    assert money, ticks
    assert any(t.endswith(("K", "M")) for t in money), money
    for tick in money:
        if tick.endswith(("K", "M", "B")) or float(tick[1:].replace(",", "")) >= 1000:
            assert not re.search(r"\.\d\d$", tick), tick


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("theme", "palette"), [("monotone", CATEGORY_LIGHT), ("dark", CATEGORY_DARK)])
def test_series_colours_are_distinct_and_contrast_with_the_background(theme: str, palette: list[str]) -> None:
    config = theme_config(theme)
    assert config["range"]["category"] == palette
    assert len(set(palette)) == len(palette) >= 8
    assert all(_contrast(c, config["background"]) >= 4.5 for c in palette)
    assert config["axisBand"]["labelOverlap"] is False  # no category label is dropped
