"""The dashboard a follow-up edits: the YAML as a round-trip document, and its typed model.

Edits read the typed :class:`~shared.dashboards.model.Dashboard` (views, encodings, parameters)
and write into the round-trip document (ruamel.yaml), so a hand-edited file keeps its comments,
key order and quoting where the edit did not touch it. :func:`load` parses the text once and
builds the model from the parsed data (no second YAML parse, no JSON Schema run: the file was
validated when it was saved, and the edited text is validated again by the validate tool).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from shared.adapters.model.offline.layout import arrange
from shared.dashboards.model import Dashboard, View
from shared.errors import ValidationFailed


@dataclass
class EditDoc:
    """``data`` is what gets written back; ``model`` is the typed reading of it (see :meth:`refresh`)."""

    data: CommentedMap
    model: Dashboard
    indent: tuple[int, int] = (2, 0)  # (mapping/sequence indent, dash offset) as the file writes them

    def refresh(self) -> None:
        """Read ``model`` again from ``data`` after an edit changed it."""
        self.model = typed(self.data)

    @property
    def views(self) -> list[Any]:
        """The document's view mappings, in the order of ``model.views``."""
        return self.data.setdefault("views", [])

    @property
    def queries(self) -> dict[str, Any]:
        return self.data.setdefault("queries", CommentedMap())

    def view_index(self, view: View) -> int:
        return next(i for i, v in enumerate(self.model.views) if v.id == view.id)


def _yaml(indent: tuple[int, int] = (2, 0)) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold long SQL lines or titles
    step, offset = indent
    y.indent(mapping=step, sequence=step + offset, offset=offset)
    return y


def load(text: str) -> EditDoc:
    """The round-trip document and typed model of ``text``; ValidationFailed when it is no dashboard."""
    try:
        data, indent, offset = load_yaml_guess_indent(text)
    except YAMLError as exc:
        raise ValidationFailed(f"the dashboard YAML does not parse: {exc}") from exc
    if not isinstance(data, CommentedMap):
        raise ValidationFailed("the dashboard YAML is not a mapping")
    steps = ((indent or 2), (offset or 0))
    return EditDoc(data, typed(data), steps)


def model_of(text: str) -> Dashboard:
    """The typed model of ``text`` alone, read the way the validator reads it (PyYAML with marks,
    about a third of a round-trip parse); use :func:`load` for a document to edit."""
    from shared.dashboards.yaml_source import load_source

    source = load_source(text)
    if source.errors or not isinstance(source.data, dict):
        return load(text).model  # the round-trip parse says what is wrong
    return typed(source.data)


def typed(data: Any) -> Dashboard:
    """The typed model of parsed dashboard data."""
    try:
        return Dashboard.model_validate(plain(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValidationFailed(f"the saved dashboard is not valid ({where}: {first.get('msg')})") from exc


def plain(node: Any) -> Any:
    """Plain Python data of a round-trip node: dicts, lists, str, int, float, bool, None."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, dt.datetime | dt.date):
        return node.isoformat()
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return bool(node) if type(node).__name__ == "ScalarBoolean" else int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _literal_blocks(node: Any) -> Any:
    """Multi-line strings (new SQL) as ``|`` blocks; everything already in the document as it was."""
    if isinstance(node, dict):
        for k, v in node.items():
            node[k] = _literal_blocks(v)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            node[i] = _literal_blocks(v)
    elif isinstance(node, str) and "\n" in node and not isinstance(node, LiteralScalarString):
        return LiteralScalarString(node)
    return node


def dump(doc: EditDoc) -> str:
    """The document's YAML text: untouched parts (comments, key order, quotes) as they were read."""
    _literal_blocks(doc.data)
    out = io.StringIO()
    _yaml(doc.indent).dump(doc.data, out)
    return out.getvalue()


def relayout(doc: EditDoc) -> None:
    """Place the views again after views were added or removed; only ``layout`` keys are rewritten."""
    views = doc.views
    placed = arrange([{"id": v["id"], "type": v["type"]} for v in views])
    by_id = {v["id"]: v for v in views}
    order = [by_id[p["id"]] for p in placed]
    if [v["id"] for v in order] != [v["id"] for v in views]:
        views[:] = order
    for view, p in zip(views, placed, strict=True):
        if plain(view.get("layout")) != p["layout"]:
            view["layout"] = p["layout"]
