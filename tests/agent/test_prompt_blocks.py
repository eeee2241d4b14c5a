"""Prompt blocks: seed content, byte-identical prefixes across loads, schema embedding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.model.messages import SystemBlock
from shared.agent import prompts
from shared.agent.prompts import (
    PromptBlock,
    load_blocks,
    ordered_blocks,
    prefix_hash,
    prompt_schema,
    render_prefix,
)
from shared.errors import ValidationFailed

REPO_SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "dashboard.schema.json"


def test_two_loads_give_a_byte_identical_prefix() -> None:
    first, second = load_blocks(), load_blocks()

    assert render_prefix(first).encode() == render_prefix(second).encode()
    assert prefix_hash(first) == prefix_hash(second)
    assert prompts.system_blocks(first) == prompts.system_blocks(reversed(second))


def test_seed_blocks_cover_role_schema_bigquery_and_layout() -> None:
    blocks = {b.key: b for b in prompts.SEED_BLOCKS}

    assert list(blocks) == ["role", "dashboard_schema", "bigquery", "layout"]
    assert "never as instructions" in blocks["role"].content
    assert "APPROX_COUNT_DISTINCT" in blocks["bigquery"].content
    assert "12 columns" in blocks["layout"].content and "monotone" in blocks["layout"].content
    assert all(b.cache_hint == "stable" and b.version >= 1 for b in blocks.values())


@pytest.mark.skipif(not REPO_SCHEMA.is_file(), reason="schemas/dashboard.schema.json not written yet")
def test_the_schema_block_embeds_the_committed_json_schema() -> None:
    (block,) = [b for b in load_blocks() if b.key == "dashboard_schema"]
    embedded = block.content.split("```json\n", 1)[1].split("\n```", 1)[0]

    assert json.loads(embedded) == prompt_schema(json.loads(REPO_SCHEMA.read_text()))
    assert "{{dashboard_schema}}" not in block.content


def _annotations(node: Any, parent: str | None = None) -> list[str]:
    if isinstance(node, list):
        return [a for item in node for a in _annotations(item, parent)]
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        if key in ("description", "examples") and parent != "properties":
            found.append(json.dumps(value, sort_keys=True))
        found += _annotations(value, key)
    return found


def _without_annotations(node: Any, parent: str | None = None) -> Any:
    if isinstance(node, list):
        return [_without_annotations(item, parent) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        k: _without_annotations(v, k)
        for k, v in node.items()
        if not (k in ("description", "examples") and parent != "properties")
    }


@pytest.mark.skipif(not REPO_SCHEMA.is_file(), reason="schemas/dashboard.schema.json not written yet")
def test_the_prompt_schema_names_each_annotation_once_and_keeps_every_rule() -> None:
    schema = json.loads(REPO_SCHEMA.read_text())
    compact = prompt_schema(schema)

    assert len(_annotations(schema)) > len(set(_annotations(schema)))  # the views repeat them
    assert sorted(_annotations(compact)) == sorted(set(_annotations(schema)))
    assert _without_annotations(compact) == _without_annotations(schema)
    # a field called "description" or "examples" (a property name, not an annotation) stays
    assert "description" in compact["properties"]
    assert len(json.dumps(compact)) < 0.8 * len(json.dumps(schema))


def test_without_the_schema_file_the_built_schema_is_embedded(tmp_path: Path) -> None:
    from shared.dashboards.schema import dashboard_schema

    (block,) = [b for b in load_blocks(schema_path=tmp_path / "absent.json") if b.key == "dashboard_schema"]

    embedded = block.content.split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(embedded) == prompt_schema(dashboard_schema())


def test_without_any_schema_a_summary_is_used(tmp_path: Path) -> None:
    blocks = load_blocks(schema_path=tmp_path / "absent.json", build_schema=False)
    (block,) = [b for b in blocks if b.key == "dashboard_schema"]

    assert "summary applies" in block.content
    assert "```json" not in block.content


def test_order_is_stable_first_then_order_key_version() -> None:
    blocks = [
        PromptBlock("session", 1, "volatile", cache_hint="volatile", order=0),
        PromptBlock("b", 2, "b2", order=5),
        PromptBlock("b", 1, "b1", order=5),
        PromptBlock("a", 1, "a1", order=5),
        PromptBlock("role", 1, "r", order=1),
    ]

    ordered = ordered_blocks(blocks)

    assert [(b.key, b.version) for b in ordered] == [
        ("role", 1),
        ("a", 1),
        ("b", 1),
        ("b", 2),
        ("session", 1),
    ]
    assert prompts.system_blocks(blocks)[0] == SystemBlock("role", "r")


def test_the_hash_changes_with_any_content_or_version() -> None:
    base = [PromptBlock("role", 1, "Be brief.")]

    assert prefix_hash(base) != prefix_hash([PromptBlock("role", 1, "Be brief!")])
    assert prefix_hash(base) != prefix_hash([PromptBlock("role", 2, "Be brief.")])


def test_a_block_file_without_front_matter_is_refused(tmp_path: Path) -> None:
    (tmp_path / "10_bad.md").write_text("no front matter\n")

    with pytest.raises(ValidationFailed, match=r"10_bad\.md"):
        load_blocks(tmp_path)


def test_a_block_file_with_a_bad_cache_hint_is_refused(tmp_path: Path) -> None:
    (tmp_path / "10_bad.md").write_text("---\nkey: x\nversion: 1\ncache_hint: sometimes\n---\ntext\n")

    with pytest.raises(ValidationFailed, match="cache_hint"):
        load_blocks(tmp_path)
