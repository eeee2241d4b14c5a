"""Planner parts on their own: period words, grid layout, the stream protocol, determinism."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.model.messages import (
    Finish,
    ModelRequest,
    SystemBlock,
    TextDelta,
    ToolCallEvent,
    UserMessage,
)
from shared.adapters.model.offline.intent import parse, parse_period
from shared.adapters.model.offline.layout import GRID, arrange
from shared.adapters.model.offline.model import OfflinePlanner
from shared.adapters.model.registry import create_model
from shared.settings import Settings

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("monthly revenue for the last year", "today-12m", "today"),
        ("orders in the last 30 days", "today-30d", "today"),
        ("revenue for the past 6 months", "today-6m", "today"),
        ("sales last quarter", "today-3m", "today"),
        ("revenue in 2023", "2023-01-01", "2023-12-31"),
        ("orders between 2021 and 2023", "2021-01-01", "2023-12-31"),
        ("users since 2022", "2022-01-01", "today"),
        ("revenue this year", "2026-01-01", "today"),
        ("weekly orders for the last two weeks", "today-2w", "today"),
    ],
)
def test_period_words(text: str, start: str, end: str) -> None:
    period = parse_period(text, TODAY)
    assert period is not None and (period.start, period.end) == (start, end)


def test_no_period_when_none_is_named() -> None:
    assert parse_period("revenue by category") is None


@pytest.mark.parametrize(
    ("text", "measures", "dims", "grain", "view", "top_n"),
    [
        ("monthly revenue for the last year", ["revenue"], [], "month", None, None),
        ("top 10 products by revenue", ["revenue"], ["products"], None, None, 10),
        ("number of orders by status as a pie", ["orders"], ["status"], None, "pie", None),
        ("average sale price by category", ["sale price"], ["category"], None, None, None),
        ("revenue by month and category", ["revenue"], ["category"], "month", None, None),
        ("users by traffic source as a table", ["users"], ["traffic source"], None, "table", None),
    ],
)
def test_intent(
    text: str, measures: list[str], dims: list[str], grain: str | None, view: str | None, top_n: int | None
) -> None:
    intent = parse(text, TODAY)
    assert [m.phrase for m in intent.measures][: len(measures)] == measures
    assert intent.dimensions == dims
    assert (intent.grain, intent.view_type, intent.top_n) == (grain, view, top_n)


@given(st.lists(st.sampled_from(["kpi", "line", "bar", "pie", "table", "area"]), min_size=1, max_size=12))
def test_layout_fills_the_grid_without_overlap(types: list[str]) -> None:
    placed = arrange([{"id": f"v{i}", "type": t} for i, t in enumerate(types)])
    assert sorted(v["id"] for v in placed) == sorted(f"v{i}" for i in range(len(types)))
    boxes = [(v["layout"]["x"], v["layout"]["y"], v["layout"]["w"], v["layout"]["h"]) for v in placed]
    for i, (x, y, w, h) in enumerate(boxes):
        assert x >= 0 and x + w <= GRID and w >= 1 and h >= 1
        for ox, oy, ow, oh in boxes[i + 1 :]:
            assert not (x < ox + ow and ox < x + w and y < oy + oh and oy < y + h)
    kpi_rows = [v["layout"]["y"] for v in placed if v["type"] == "kpi"]
    other_rows = [v["layout"]["y"] for v in placed if v["type"] != "kpi"]
    assert not kpi_rows or not other_rows or max(kpi_rows) < min(other_rows)  # KPIs on top


def test_registry_builds_the_offline_planner() -> None:
    model = create_model("offline", settings=Settings())
    assert isinstance(model, OfflinePlanner) and model.name == "offline"


def _request(text: str) -> ModelRequest:
    return ModelRequest(
        (SystemBlock("context", "No dashboard has been saved in this chat yet."),), (UserMessage(text),)
    )


def test_first_step_asks_for_the_catalog_and_is_deterministic() -> None:
    planner = OfflinePlanner()
    first = list(planner.stream(_request("monthly revenue")))
    assert first == list(planner.stream(_request("monthly revenue")))
    calls = [e for e in first if isinstance(e, ToolCallEvent)]
    assert [c.name for c in calls] == ["search_catalog", "list_dashboards"]
    assert calls[0].arguments == {"query": "monthly revenue", "limit": 12}
    assert len({c.id for c in calls}) == 2
    assert isinstance(first[-1], Finish) and first[-1].reason == "tool_calls"


def test_final_text_streams_in_several_chunks() -> None:
    from shared.adapters.model.messages import AssistantMessage, ToolCall, ToolResultMessage

    call = ToolCall("call_0_0", "list_tables", {})
    request = ModelRequest(
        (),
        (
            UserMessage("hello"),
            AssistantMessage("", (call,)),
            ToolResultMessage("call_0_0", "list_tables", {"tables": []}),
        ),
    )
    events = list(OfflinePlanner().stream(request))
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert isinstance(events[-1], Finish) and events[-1].reason == "stop"
    assert "".join(d.text for d in deltas).startswith("This connection has no tables")
    assert len(deltas) >= 2
