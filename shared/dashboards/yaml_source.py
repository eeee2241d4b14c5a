"""Strict YAML loading that remembers where every value came from.

PyYAML's composer gives a node tree with marks; values are built from it by hand so that every JSON
path maps to a 1-based (line, column), duplicate keys are caught, and anchors, aliases, merge keys
and custom tags are refused. Dates stay strings (the dashboard schema wants text, not datetimes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_DEPTH",
    "MAX_YAML_BYTES",
    "Location",
    "SourceDocument",
    "format_path",
    "load_source",
]

MAX_YAML_BYTES = 256 * 1024
MAX_DEPTH = 40

PathPart = str | int
Path = tuple[PathPart, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass(frozen=True)
class Location:
    line: int
    column: int


@dataclass
class SourceDocument:
    """Parsed YAML: the plain data, where each path starts, and problems found while loading."""

    data: Any = None
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    block_scalars: set[Path] = field(default_factory=set)
    text: str = ""

    def locate(self, path: Path, *, key: bool = False) -> Location:
        """Where ``path`` is written: its key (``key=True``) or value; else its nearest ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found:
                return found
        return Location(1, 1)

    def error(self, path: Path, message: str, *, key: bool = False) -> dict[str, Any]:
        """A ``{path, line, column, message}`` record located in this document."""
        where = self.locate(path, key=key)
        return {
            "path": format_path(path),
            "line": where.line,
            "column": where.column,
            "message": message,
        }


def format_path(path: Path) -> str:
    """``("views", 1, "layout")`` → ``views[1].layout`` (the root is the empty string)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases while composing."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent) or anchor is not None:
            raise yaml.MarkedYAMLError(
                problem="anchors and aliases (&name, *name) are not allowed",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


def load_source(text: str) -> SourceDocument:
    """Parse ``text`` into a :class:`SourceDocument`; problems go to ``.errors``, never raised."""
    document = SourceDocument(text=text if isinstance(text, str) else "")
    if not isinstance(text, str):
        document.errors.append(_record("", 1, 1, "YAML must be text"))
        return document
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        document.errors.append(_record("", 1, 1, f"YAML is larger than {MAX_YAML_BYTES} bytes"))
        return document
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        document.errors.append(_record("", line, column, f"YAML syntax error: {message}"))
        return document
    except yaml.reader.ReaderError as error:
        line, column = _offset_position(text, error.position)
        message = f"YAML syntax error: character U+{error.character:04X} is not allowed"
        document.errors.append(_record("", line, column, message))
        return document
    except yaml.YAMLError as error:
        document.errors.append(_record("", 1, 1, f"YAML syntax error: {error}"))
        return document
    except RecursionError:
        document.errors.append(_record("", 1, 1, "YAML is nested too deeply"))
        return document
    finally:
        if loader is not None:
            loader.dispose()
    if root is None:
        document.errors.append(_record("", 1, 1, "the document is empty"))
        return document
    document.data = _Builder(document, loader).build(root, (), 0)
    return document


class _Builder:
    def __init__(self, document: SourceDocument, loader: _Loader) -> None:
        self.document = document
        self.loader = loader

    def build(self, node: Node, path: Path, depth: int) -> Any:
        self.document.values[path] = _location(node)
        if depth > MAX_DEPTH:
            self._error(path, f"nesting deeper than {MAX_DEPTH} levels")
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if node.tag != f"{_TAG}seq":
                self._error(path, f"custom tag {node.tag} is not allowed")
            return [self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self._error(path, "unsupported YAML node")
        return None

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag != f"{_TAG}map":
            self._error(path, f"custom tag {node.tag} is not allowed")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == f"{_TAG}merge":
                problem = "merge keys (<<) are not allowed" if key_node.tag == f"{_TAG}merge" else None
                self.document.errors.append(
                    _record(
                        format_path(path),
                        *_position(key_node),
                        problem or "keys must be plain text",
                    )
                )
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.document.keys[child]
                self.document.errors.append(
                    _record(
                        format_path(child),
                        *_position(key_node),
                        f"duplicate key '{key}' (first defined on line {first.line})",
                    )
                )
                continue
            self.document.keys[child] = _location(key_node)
            if isinstance(value_node, ScalarNode) and value_node.style == "|":
                self.document.block_scalars.add(child)
            result[key] = self.build(value_node, child, depth + 1)
            if isinstance(value_node, MappingNode | SequenceNode) and not value_node.flow_style:
                # a block collection starts on the next line; its key is where a reader looks
                self.document.values[child] = self.document.keys[child]
        return result

    def _scalar(self, node: ScalarNode, path: Path) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self._error(path, f"custom tag {node.tag} is not allowed")
            return str(node.value)
        if node.tag in (f"{_TAG}str", f"{_TAG}timestamp"):
            return str(node.value)
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            self._error(path, f"cannot read value {node.value!r}")
            return str(node.value)

    def _error(self, path: Path, message: str) -> None:
        self.document.errors.append(self.document.error(path, message))


def _location(node: Node) -> Location:
    return Location(node.start_mark.line + 1, node.start_mark.column + 1)


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _record(path: str, line: int, column: int, message: str) -> dict[str, Any]:
    return {"path": path, "line": line, "column": column, "message": message}


def key_errors(
    path: Path, validator: str, schema: dict[str, Any], value: Any, instance: Any, source: SourceDocument
) -> list[dict[str, Any]] | None:
    """Located records for a JSON Schema error about a mapping's keys (unknown or missing), else None."""
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        return [
            source.error((*path, key), f"unknown key '{key}'; allowed here: {', '.join(allowed)}", key=True)
            for key in instance
            if key not in allowed
        ]
    if validator == "required" and isinstance(instance, dict):
        return [source.error(path, f"missing required key '{key}'") for key in value if key not in instance]
    return None
