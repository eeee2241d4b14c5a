"""Round-trip edits of a knowledge file: what an accepted feedback adds, with the rest as written.

The admin's file is read as a ruamel.yaml round-trip document, so comments, key order, quoting and
indentation survive an accepted verified answer or instruction; only the touched key changes.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from shared.errors import ValidationFailed


def _yaml(indent: int = 2, offset: int = 0) -> YAML:
    """A round-trip YAML; ``indent``/``offset`` as ruamel guesses them (a list item's key column, its dash's)."""
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold long SQL lines or instructions
    y.indent(mapping=indent - offset if offset else indent, sequence=indent, offset=offset)
    return y


def with_change(text: str, change: dict[str, Any]) -> str:
    """The knowledge YAML with ``change`` added (a verified answer, or a line of instructions)."""
    try:
        _, indent, offset = load_yaml_guess_indent(text) if text.strip() else (None, 2, 0)
        data = _yaml().load(text)  # again with quotes kept (the guess's loader drops them)
    except YAMLError as exc:
        raise ValidationFailed(
            f"the knowledge file does not parse; fix it before accepting feedback ({exc})"
        ) from exc
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ValidationFailed("the knowledge file is not a mapping; fix it before accepting feedback")
    if change["kind"] == "verified_answer":
        answers = data.get("verified_answers")
        if not isinstance(answers, CommentedSeq):
            answers = CommentedSeq(answers or [])
            data["verified_answers"] = answers
        entry = {"question": change["question"], "dashboard": change["dashboard"]}
        if not any(isinstance(a, dict) and dict(a) == entry for a in answers):
            answers.append(CommentedMap(entry))
    else:
        lines = str(data.get("instructions") or "").rstrip("\n")
        data["instructions"] = LiteralScalarString((lines + "\n" if lines else "") + change["text"] + "\n")
    out = io.StringIO()
    _yaml(indent or 2, offset or 0).dump(data, out)
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("# yaml-language-server"))
    body = out.getvalue()
    return body if body.startswith(header) else header + body
