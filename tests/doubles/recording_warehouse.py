"""The real DuckDB adapter, keeping the statements it sends (to count what a code path runs)."""

from __future__ import annotations

from typing import Any

from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse


class RecordingWarehouse(DuckDBWarehouse):
    """The real adapter, keeping the statements it sends to DuckDB."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.sent: list[str] = []

    def _run(self, cursor: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
        self.sent.append(sql)
        return super()._run(cursor, sql, params)

    def _use(self, cursor: Any) -> None:
        self.sent.append(f"USE {self.project}")
        super()._use(cursor)

    @property
    def idle_cursors(self) -> int:
        return len(self._idle)

    def take(self, prefix: str) -> list[str]:
        """The statements sent since the last call that start with ``prefix``."""
        taken = [s for s in self.sent if s.startswith(prefix)]
        self.sent = []
        return taken
