"""Helpers of the browser tests: sign-in, screenshots, the API as a user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

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
