"""Place views on the 12-column grid: a KPI row on top, then charts in pairs, then tables full width."""

from __future__ import annotations

from typing import Any

GRID = 12
KPI_HEIGHT = 2
CHART_HEIGHT = 4
TABLE_HEIGHT = 5
KPIS_PER_ROW = 4


def arrange(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same views, KPIs first, each with a ``layout`` that never overlaps another."""
    kpis = [v for v in views if v.get("type") == "kpi"]
    tables = [v for v in views if v.get("type") == "table"]
    charts = [v for v in views if v.get("type") not in ("kpi", "table")]
    y = 0
    placed: list[dict[str, Any]] = []
    for row_start in range(0, len(kpis), KPIS_PER_ROW):
        row = kpis[row_start : row_start + KPIS_PER_ROW]
        width = GRID // len(row)
        for i, v in enumerate(row):
            placed.append({**v, "layout": {"x": i * width, "y": y, "w": width, "h": KPI_HEIGHT}})
        y += KPI_HEIGHT
    pairs = len(charts) // 2 * 2
    for i, v in enumerate(charts):
        if i < pairs:
            x, w = (0 if i % 2 == 0 else GRID // 2), GRID // 2
        else:
            x, w = 0, GRID
        placed.append({**v, "layout": {"x": x, "y": y, "w": w, "h": CHART_HEIGHT}})
        if i % 2 == 1 or i >= pairs:
            y += CHART_HEIGHT
    for v in tables:
        placed.append({**v, "layout": {"x": 0, "y": y, "w": GRID, "h": TABLE_HEIGHT}})
        y += TABLE_HEIGHT
    return placed
