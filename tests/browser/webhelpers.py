"""Helpers of the browser tests: sign-in, opening a dashboard, screenshots, the API as a user, KPIs."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.dev.seed import DEMO_EMAIL

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def sign_in(page: Any, base: str, email: str) -> None:
    """The local sign-in flow: type an email, press Enter."""
    page.goto(f"{base}/")
    field = page.get_by_label("Email")
    field.fill(email)
    field.press("Enter")
    page.get_by_role("navigation", name="Main").wait_for()


def wait_ready(page: Any) -> None:
    page.locator(".dashboard[data-ready='true'] .grid[aria-busy='false']").wait_for()


def open_dashboard(page: Any, base: str, team_id: str, slug: str, email: str = DEMO_EMAIL) -> None:
    """Sign in (the demo user by default), open the team's dashboard ``slug`` and wait until it is drawn."""
    sign_in(page, base, email)
    page.goto(f"{base}/d/{team_id}/{slug}")
    wait_ready(page)


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


class Api:
    """The public HTTP API as a user (requests with a bearer token)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base, self.headers = base, headers

    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=30, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return requests.post(self.base + path, headers=self.headers, timeout=30, **kw)

    def put_yaml(self, path: str, text: str) -> requests.Response:
        return requests.put(
            self.base + path,
            data=text.encode(),
            headers={**self.headers, "Content-Type": "application/yaml"},
            timeout=60,
        )


def demo_api(dev_server: Any, token: Any) -> tuple[Api, str]:
    """The API as the demo user, and the id of the demo user's team."""
    api = Api(dev_server.url, token(DEMO_EMAIL))
    team_id = api.get("/v1/teams").json()["teams"][0]["id"]
    return api, team_id


def currency(v: float) -> str:
    digits = "1" if abs(v) >= 1000 else "0.01"
    q = Decimal(str(v)).quantize(Decimal(digits), rounding=ROUND_HALF_UP)
    return f"${q:,}" if abs(v) >= 1000 else f"${q:,.2f}"


def kpi_from_api(data: dict[str, Any], view_id: str, field: str) -> float:
    view = next(v for v in data["views"] if v["view_id"] == view_id)
    assert view["status"] == "ok", view["error"]
    column = [c["name"] for c in view["columns"]].index(field)
    return float(sum(view["values"][column]))


def assert_kpis_match(scope: Any, data: dict[str, Any]) -> None:
    """Every KPI tile shows the number the data API returned for it."""
    kpis = [v for v in data["views"] if v["spec"].get("kind") == "kpi"]
    assert kpis, "the dashboard has no KPI"
    for view in kpis:
        expected = kpi_from_api(data, view["view_id"], view["spec"]["field"])
        tile = scope.locator(f"[data-view-id='{view['view_id']}'] .kpi-value")
        assert float(tile.get_attribute("data-value") or "nan") == pytest.approx(expected)
        if view["spec"].get("format") == "currency":
            assert tile.inner_text() == currency(expected)


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[str]:
    """Serious and critical accessibility violations axe-core (from npm, injected) finds in the page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(
            AXE.read_text(encoding="utf-8")
        )  # evaluated by the test driver: the page's CSP stays strict
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found if v["impact"] in ("serious", "critical")
    ]
