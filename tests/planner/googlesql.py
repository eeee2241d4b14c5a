"""A GoogleSQL analyzer for tests: ZetaSQL's server (npm ``@fivetrandevelopers/zetasql``) behind a
small Node bridge (zetasql_server.js), given the catalog's tables with their BigQuery types.

ZetaSQL is the analyzer BigQuery's GoogleSQL dialect is built on; with maximum language
features it resolves names and checks types and function signatures as BigQuery does.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

from shared.adapters.warehouse.port import DatasetInfo, QueryParam

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "node_modules" / "@fivetrandevelopers" / "zetasql"
BRIDGE = Path(__file__).with_name("zetasql_server.js")
KINDS = {
    "STRING": "TYPE_STRING",
    "INT64": "TYPE_INT64",
    "FLOAT64": "TYPE_DOUBLE",
    "NUMERIC": "TYPE_NUMERIC",
    "BIGNUMERIC": "TYPE_BIGNUMERIC",
    "BOOL": "TYPE_BOOL",
    "DATE": "TYPE_DATE",
    "DATETIME": "TYPE_DATETIME",
    "TIMESTAMP": "TYPE_TIMESTAMP",
    "TIME": "TYPE_TIME",
    "BYTES": "TYPE_BYTES",
    "JSON": "TYPE_JSON",
}


def available() -> str | None:
    """Why the analyzer cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (PACKAGE / "lib" / "zetasql" / "remote_server.so").is_file():
        return "@fivetrandevelopers/zetasql is not installed (make test's npm setup)"
    return None


def tables_of(datasets: list[DatasetInfo]) -> list[dict[str, Any]]:
    return [
        {
            "name": t.fully_qualified_name,
            "columns": [[c.name, KINDS.get(c.type, "TYPE_STRING")] for c in t.columns],
        }
        for d in datasets
        for t in d.tables
    ]


def _params(params: tuple[QueryParam, ...]) -> list[list[str]]:
    return [[p.name, KINDS[p.type]] for p in params]


class GoogleSqlAnalyzer:
    """One ZetaSQL server for many ``analyze`` calls."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self._process = subprocess.Popen(
            ["node", str(BRIDGE), str(port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self._read().get("ready"), "the ZetaSQL server did not start"

    def analyze(
        self, tables: list[dict[str, Any]], sql: str, params: tuple[QueryParam, ...] = ()
    ) -> str | None:
        """None when ``sql`` resolves and type-checks, else ZetaSQL's error (catalog built for this call)."""
        answer = self._ask({"tables": tables, "sql": sql, "params": _params(params)})
        return None if answer["ok"] else str(answer["error"])

    def register(self, tables: list[dict[str, Any]]) -> str:
        """Build and register a catalog with the server once; its id is for :meth:`analyze_many`."""
        answer = self._ask({"register": tables})
        if not answer["ok"]:
            raise RuntimeError(f"ZetaSQL refused the catalog: {answer['error']}")
        return str(answer["id"])

    def analyze_many(
        self, catalog: str, queries: list[tuple[str, tuple[QueryParam, ...]]]
    ) -> list[str | None]:
        """:meth:`analyze` of each ``(sql, params)`` on a registered catalog, in one round trip."""
        if not queries:
            return []
        batch = [{"sql": sql, "params": _params(params)} for sql, params in queries]
        answers = self._ask({"catalog": catalog, "queries": batch})["answers"]
        return [None if a["ok"] else str(a["error"]) for a in answers]

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        while True:
            line = self._process.stdout.readline()
            if not line:
                raise RuntimeError("the ZetaSQL bridge exited")
            if line.startswith("{"):
                return dict(json.loads(line))
