"""The compiled dashboard as a stored artifact: typed JSON written beside the YAML at save time.

A cache hit on a cold instance reads this instead of the YAML, so it needs neither the YAML
parser, the JSON Schema nor sqlglot: the typed model (as data), each view's compiled SQL and
spec, and the tables each view reads (what the serving path checks against the connection's
tables instead of parsing the SQL again).

An artifact names the YAML generation it was compiled from and the compiler that built it (a
hash of the source of ``shared/dashboards`` and ``shared/sqlguard.py``): one written by other
code, or for another generation, is not used (:func:`decode` returns None), and the reader
compiles the YAML and stores a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.dashboards.compiled import CompiledDashboard, CompiledView

if TYPE_CHECKING:
    from shared.dashboards.model import Dashboard

__all__ = ["FORMAT", "ArtifactView", "CompiledArtifact", "build", "compiler_id", "decode"]

FORMAT: Final = "bridge.compiled-dashboard/v1"
_SHARED = Path(__file__).resolve().parents[1]


@cache
def compiler_id() -> str:
    """A hash of the code whose output an artifact holds (the dashboards package and the SQL guard)."""
    digest = hashlib.sha256()
    files = [*sorted((_SHARED / "dashboards").rglob("*.py")), _SHARED / "sqlguard.py"]
    for path in files:
        digest.update(path.relative_to(_SHARED).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


class ArtifactView(BaseModel):
    """One compiled view and the tables its SQL reads (empty for a text view)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    view: CompiledView
    tables: tuple[str, ...]


class CompiledArtifact(BaseModel):
    """What serving needs of one dashboard generation, without parsing or compiling it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["bridge.compiled-dashboard/v1"]
    compiler: str
    generation: int  # of the YAML object it was compiled from
    dashboard: dict[str, Any]  # the typed model as JSON (the fields the YAML set)
    ttl_s: int | None  # ``refresh`` as written (None: the team's default applies)
    title: str
    theme: str
    refresh_seconds: int
    views: tuple[ArtifactView, ...]

    def model(self) -> Dashboard:
        from shared.dashboards.model import Dashboard

        return Dashboard.model_validate(self.dashboard)

    def compiled(self) -> CompiledDashboard:
        views = tuple(v.view for v in self.views)
        return CompiledDashboard(self.title, self.theme, self.refresh_seconds, views)

    def tables_by_sql(self) -> dict[str, tuple[str, ...]]:
        """Each compiled SQL text and the tables it reads."""
        return {v.view.sql: v.tables for v in self.views if v.view.sql is not None}

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


def build(
    dashboard: Dashboard, query_tables: Mapping[str, tuple[str, ...]], generation: int
) -> CompiledArtifact:
    """Compile ``dashboard`` (loaded from the YAML object at ``generation``) into its artifact.

    ``query_tables`` maps each query to the tables it reads (the guard's, as the loader found
    them); a view reads its query's tables.
    """
    from shared.dashboards.compile import compile_dashboard, refresh_seconds

    compiled = compile_dashboard(dashboard)
    views = tuple(
        ArtifactView(view=v, tables=tuple(query_tables[v.query_name]) if v.query_name is not None else ())
        for v in compiled.views
    )
    return CompiledArtifact(
        format=FORMAT,
        compiler=compiler_id(),
        generation=generation,
        dashboard=dashboard.model_dump(mode="json", exclude_unset=True),
        ttl_s=refresh_seconds(dashboard.refresh) if dashboard.refresh_written else None,
        title=compiled.title,
        theme=compiled.theme,
        refresh_seconds=compiled.refresh_seconds,
        views=views,
    )


def decode(data: bytes, generation: int) -> CompiledArtifact | None:
    """The artifact in ``data`` if it is one of this compiler for ``generation``; else None."""
    try:
        artifact = CompiledArtifact.model_validate_json(data)
    except ValidationError:
        return None
    if artifact.compiler != compiler_id() or artifact.generation != generation:
        return None
    return artifact
