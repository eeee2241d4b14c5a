"""Browser fixtures: headless Chromium (Debian build) over the real dev server, console errors collected."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("BRIDGE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Browser tests run on SQLite only: the API suites already cover PostgreSQL."""
    return f"sqlite:///{tmp_path / 'bridge.db'}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test file: Playwright's sync API keeps an asyncio loop running on the main
    thread while it is open, so a session-wide browser broke every later ``asyncio``/``anyio.run``
    in the same xdist worker (``Runner.run() cannot be called from a running event loop``)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class PageProblems:
    """Console errors, uncaught page errors and failed requests seen by one page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.expected: list[str] = []
        page.on(
            "console",
            lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def expect(self, text: str) -> None:
        """Allow console errors containing ``text`` (a response status the test provokes)."""
        self.expected.append(text)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(x in e for x in self.expected)]


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(viewport)`` → a fresh page; every page must end the test without console or page errors."""
    contexts: list[Any] = []
    watched: list[PageProblems] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        ctx = browser.new_context(
            viewport=viewport or DESKTOP, accept_downloads=True, locale="en-US", timezone_id="UTC"
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = ctx.new_page()
        problems = PageProblems(page)
        watched.append(problems)
        page.problems = problems
        return page

    yield make
    errors = [e for w in watched for e in w.unexpected()]
    for ctx in contexts:
        ctx.close()
    assert errors == [], "the page logged errors"
