"""Vega-Lite ``config`` blocks for the dashboard themes.

``monotone`` (the default) is neutral greys with one accent colour and no chart junk: no view
border, no axis domain lines or ticks, light horizontal grid only.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["CATEGORY_DARK", "CATEGORY_LIGHT", "OTHER_COLOURS", "THEME_NAMES", "other_colour", "theme_config"]

_FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
_ACCENT = "#2563eb"
# Series and slices: hues in a colour-blind-safe order (after Okabe-Ito), each at least 4.5:1
# against its theme's background; tests/dashboards/test_chart_axes.py checks the contrast.
CATEGORY_LIGHT = ["#2563eb", "#c2410c", "#047857", "#a21caf", "#52525b", "#b45309", "#0e7490", "#be123c"]
# "Other" (the folded remainder of a series cap): a muted grey, at least 3:1 against the background
OTHER_COLOURS = {"monotone": "#8b8b94", "accent": "#8b8b94", "dark": "#6b6b74"}
CATEGORY_DARK = ["#60a5fa", "#fb923c", "#34d399", "#e879f9", "#d4d4d8", "#fbbf24", "#22d3ee", "#fb7185"]


def _base(
    *, background: str, text: str, muted: str, grid: str, mark: str, category: list[str], ramp: list[str]
) -> dict[str, Any]:
    return {
        "background": background,
        "font": _FONT,
        "padding": 8,
        "view": {"stroke": None},
        "title": {"color": text, "fontSize": 13, "fontWeight": 600, "anchor": "start"},
        "axis": {
            "domain": False,
            "ticks": False,
            "grid": True,
            "gridColor": grid,
            "gridDash": [2, 2],
            "labelColor": muted,
            "labelFontSize": 11,
            "labelPadding": 6,
            "titleColor": muted,
            "titleFontSize": 11,
            "titleFontWeight": "normal",
        },
        "axisX": {"grid": False, "labelAngle": 0},
        "axisXBand": {"labelAngle": -30, "labelAlign": "right", "labelBaseline": "middle", "labelLimit": 110},
        "axisBand": {"grid": False, "labelOverlap": False},
        "legend": {
            "labelColor": muted,
            "titleColor": muted,
            "labelFontSize": 11,
            "titleFontSize": 11,
            "titleFontWeight": "normal",
            "orient": "bottom",
            "symbolType": "circle",
        },
        "mark": {"color": mark},
        "line": {"strokeWidth": 2, "color": mark},
        "area": {"color": mark, "opacity": 0.85},
        "bar": {"color": mark, "cornerRadiusEnd": 2},
        "arc": {"stroke": background, "strokeWidth": 1},
        "point": {"color": mark, "filled": True, "opacity": 0.8},
        "rect": {"stroke": background, "strokeWidth": 1},
        "range": {"category": category, "ordinal": ramp, "ramp": ramp, "heatmap": ramp},
    }


_THEMES: dict[str, dict[str, Any]] = {
    "monotone": _base(
        background="#ffffff",
        text="#18181b",
        muted="#71717a",
        grid="#f0f0f2",
        mark=_ACCENT,
        category=CATEGORY_LIGHT,
        ramp=["#f4f4f5", "#d4d4d8", "#a1a1aa", "#71717a", "#3f3f46"],
    ),
    "accent": _base(
        background="#ffffff",
        text="#18181b",
        muted="#71717a",
        grid="#f0f0f2",
        mark=_ACCENT,
        category=["#2563eb", "#f97316", "#10b981", "#a855f7", "#eab308", "#ef4444", "#64748b"],
        ramp=["#eff6ff", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a"],
    ),
    "dark": _base(
        background="#18181b",
        text="#fafafa",
        muted="#a1a1aa",
        grid="#27272a",
        mark="#60a5fa",
        category=CATEGORY_DARK,
        ramp=["#27272a", "#3f3f46", "#71717a", "#a1a1aa", "#e4e4e7"],
    ),
}

THEME_NAMES = tuple(_THEMES)


def theme_config(name: str) -> dict[str, Any]:
    """A fresh Vega-Lite config for theme ``name`` (unknown names get ``monotone``)."""
    return copy.deepcopy(_THEMES.get(name, _THEMES["monotone"]))


def other_colour(name: str) -> str:
    """The colour of the folded "Other" series or slice in theme ``name``."""
    return OTHER_COLOURS.get(name, OTHER_COLOURS["monotone"])
