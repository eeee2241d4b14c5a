"""The knowledge-file JSON Schema (2020-12), generated from :mod:`shared.knowledge.model`.

Committed as schemas/knowledge.schema.json: run
``python -m shared.knowledge.schema > schemas/knowledge.schema.json`` after changing the model; a
test fails when the committed file differs from :func:`knowledge_schema_json`. Editors pick it up
from a ``# yaml-language-server: $schema=…/knowledge.schema.json`` first line.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from shared.knowledge.model import Knowledge

SCHEMA_ID = "https://bridge.dev/schemas/knowledge.schema.json"


def _clean(node: Any) -> Any:
    """No titles, no ``null`` alternatives (an absent key is the default), refs to ``$defs``."""
    if isinstance(node, list):
        return [_clean(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _clean(v) for k, v in node.items() if k != "title"}
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del out["anyOf"]
            out = {**kept[0], **out}
    if out.get("default", "absent") is None:
        del out["default"]
    return out


@cache
def knowledge_schema() -> dict[str, Any]:
    raw = Knowledge.model_json_schema(by_alias=True, mode="validation")
    body = _clean(raw)
    body.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "description": "A Bridge team's knowledge file: metrics, dimensions, join paths, "
        "instructions and verified answers the agent uses.",
        **body,
    }


def knowledge_schema_json() -> str:
    return json.dumps(knowledge_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(knowledge_schema_json(), end="")
