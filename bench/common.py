"""Benchmark helpers: a real dev server on loopback over a temporary data dir, and percentiles."""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.bootstrap import Container, set_container
from shared.settings import Settings

ROOT_DIR = Path(__file__).resolve().parents[1]

# The test doubles drive whole turns: tests/ on the path, as under pytest.
_TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if _TESTS not in sys.path:
    sys.path.append(_TESTS)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(p) - 1))]


def row(name: str, value: float, unit: str, note: str = "") -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "note": note}


def goal_row(
    name: str, values: list[float], goal: float | None, note: str = "", *, unit: str = "x"
) -> dict[str, Any]:
    """A goal figure: the median of ``values`` (its min in the note), and whether it meets ``goal``."""
    median, low = statistics.median(values), min(values)
    verdict = "no goal" if goal is None else f"goal <= {goal:g}: {'MET' if median <= goal else 'NOT met'}"
    detail = f"min {low:.2f} / median {median:.2f} of {len(values)}; {verdict}"
    return row(name, median, unit, f"{detail}; {note}" if note else detail)


def forget(c: Container, user: Any, team_id: str, slug: str | None) -> None:
    """Delete a dashboard a measured turn created (outside the timing), so a request repeated later
    builds it again instead of being offered the one that already answers it."""
    if slug is None:
        return
    from shared.services.dashboards import delete_dashboard

    c.db.run(lambda s: delete_dashboard(c, s, user, team_id, slug))


def forget_all(c: Container, user: Any, team_id: str) -> None:
    """Delete every live dashboard of the team (outside the timing): the next turn builds its
    dashboard instead of meeting the planner's offer of one that already answers the request."""
    from shared.services.dashboards import list_dashboards

    for slug in c.db.run(lambda s: [d.slug for d in list_dashboards(s, user, team_id)]):
        forget(c, user, team_id, slug)


@dataclass
class Server:
    url: str
    c: Container
    team_id: str
    connection_id: str
    headers: dict[str, str]


@contextmanager
def dev_server(scale: float = 1.0, data_dir: Path | None = None, **overrides: Any) -> Iterator[Server]:
    """The dev server (all functions' routes) on 127.0.0.1 with the demo warehouse at ``scale``;
    ``overrides`` are more settings (``task_processes=2``)."""
    from werkzeug.serving import make_server

    from shared.dev.seed import DEMO_EMAIL
    from shared.dev.server import prepare
    from shared.entry.functions import dev_app

    with tempfile.TemporaryDirectory() as tmp:
        root = data_dir or Path(tmp)
        settings = Settings(
            data_dir=root, demo_scale=scale, auth_secret="bench-secret-0123456789-0123456789-x", **overrides
        )
        c = Container(settings)
        set_container(c)
        team_id, conn_id = prepare(c)
        server = make_server("127.0.0.1", 0, dev_app(), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Server(
                f"http://127.0.0.1:{server.server_port}",
                c,
                team_id,
                conn_id,
                {"Authorization": f"Bearer {c.local_identity.issue(DEMO_EMAIL)}"},
            )
        finally:
            server.shutdown()
            c.task_queue.close()  # type: ignore[attr-defined]
            set_container(None)
