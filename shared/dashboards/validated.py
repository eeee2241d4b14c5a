"""A dashboard that passed the loader: typed model, source positions and the text, produced once.

:func:`validated` turns an ok :class:`~shared.dashboards.validate.ValidationReport` into a frozen
:class:`ValidatedDashboard` that a validate step, a save step and the save service pass along
instead of parsing and validating the same YAML again. ``checked_with`` names what the queries'
tables were checked against (e.g. a connection's guard key): a receiver that guards with other
tables validates the text itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from shared.dashboards.yaml_source import Location, Path, SourceDocument

if TYPE_CHECKING:
    from shared.dashboards.model import Dashboard
    from shared.dashboards.model.vocabulary import Theme
    from shared.dashboards.validate import ValidationReport
    from shared.sqlguard import GuardedSql

__all__ = ["ValidatedDashboard", "text_hash", "validated"]


def text_hash(text: str) -> str:
    """A stable id of a YAML text (what a cache of validated dashboards is keyed by)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ValidatedDashboard:
    """The one value a valid YAML text loads into; never built for a document with errors."""

    text: str
    model: Dashboard
    source: SourceDocument
    queries: Mapping[str, GuardedSql]
    tables: tuple[str, ...]
    checked_with: Hashable = None

    def column_errors(self, query_columns: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        """Fields the views use that the queries' result columns lack (no parse, no schema run)."""
        from shared.dashboards.validate import ValidationReport

        report = ValidationReport([], self.model, self.tables, dict(self.queries), self.source)
        return report.column_errors(query_columns)

    def with_theme_line(self, theme: Theme) -> ValidatedDashboard | None:
        """This dashboard with a ``theme:`` line written right after its top-level ``version`` line.

        The positions move as a parse of the new text would place them. None when ``version`` is
        not a block-style key at the start of a line (the caller then validates the new text).
        """
        where = self.source.keys.get(("version",))
        lines = self.text.splitlines(keepends=True)
        if "theme" in self.model.model_fields_set or where is None or where.column != 1:
            return None
        if self.source.values.get(("version",), where).line != where.line:
            return None  # the value is on a later line
        if where.line > len(lines) or not lines[where.line - 1].startswith("version"):
            return None
        after = where.line
        version_line = lines[after - 1]
        end = "" if version_line.endswith("\n") else "\n"
        text = "".join([*lines[:after], end, f"theme: {theme}\n", *lines[after:]])

        def moved(positions: dict[Path, Location]) -> dict[Path, Location]:
            return {
                path: Location(at.line + 1, at.column) if at.line > after else at
                for path, at in positions.items()
            }

        keys, values = moved(self.source.keys), moved(self.source.values)
        keys[("theme",)] = Location(after + 1, 1)
        values[("theme",)] = Location(after + 1, len("theme: ") + 1)
        data: dict[str, Any] = {}
        for key, value in self.source.data.items():
            data[key] = value
            if key == "version":
                data["theme"] = theme
        source = SourceDocument(
            data=data,
            values=values,
            keys=keys,
            errors=[],
            block_scalars=set(self.source.block_scalars),
            text=text,
        )
        model = self.model.model_copy(update={"theme": theme})
        return replace(self, text=text, model=model, source=source)


def validated(report: ValidationReport, checked_with: Hashable = None) -> ValidatedDashboard | None:
    """The report's dashboard as a :class:`ValidatedDashboard`; None when the report has errors."""
    if report.errors or report.model is None or report.source is None:
        return None
    return ValidatedDashboard(
        text=report.source.text,
        model=report.model,
        source=report.source,
        queries=dict(report.queries),
        tables=report.tables,
        checked_with=checked_with,
    )
