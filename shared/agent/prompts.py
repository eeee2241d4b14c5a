"""System prompt blocks: data, seed texts and a byte-stable order.

Seed blocks live in ``prompt_blocks/*.md``, each with a front matter of ``key``, ``version``,
``order`` and ``cache_hint``. The dashboard-schema block embeds ``schemas/dashboard.schema.json``
(read when the blocks are loaded; without the file, the schema ``shared.dashboards`` builds, or
a short summary). Blocks are sorted by
``(order, key, version)`` so every step of a turn sends the same prefix, which providers cache.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from shared.adapters.model.messages import SystemBlock
from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from shared.db.engine import Database

BLOCKS_DIR = Path(__file__).with_name("prompt_blocks")
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "dashboard.schema.json"
SCHEMA_PLACEHOLDER = "{{dashboard_schema}}"
SCHEMA_FALLBACK = BLOCKS_DIR / "dashboard_schema_fallback.txt"
CacheHint = Literal["stable", "volatile"]


@dataclass(frozen=True)
class PromptBlock:
    """One versioned piece of the system prompt. ``stable`` blocks belong to the cached prefix."""

    key: str
    version: int
    content: str
    cache_hint: CacheHint = "stable"
    order: int = 100

    def sort_key(self) -> tuple[bool, int, str, int]:
        # Stable blocks first, so volatile ones never break the cacheable prefix.
        return (self.cache_hint != "stable", self.order, self.key, self.version)

    def to_system_block(self) -> SystemBlock:
        return SystemBlock(self.key, self.content)


def ordered_blocks(blocks: Iterable[PromptBlock]) -> list[PromptBlock]:
    """``blocks`` in prefix order: stable before volatile, then by (order, key, version)."""
    return sorted(blocks, key=PromptBlock.sort_key)


def system_blocks(blocks: Iterable[PromptBlock]) -> tuple[SystemBlock, ...]:
    """The ordered blocks as the model port's system blocks."""
    return tuple(b.to_system_block() for b in ordered_blocks(blocks))


def render_prefix(blocks: Iterable[PromptBlock]) -> str:
    """The exact system prefix text the ordered blocks produce."""
    return "\n\n".join(b.content for b in ordered_blocks(blocks))


def prefix_hash(blocks: Iterable[PromptBlock]) -> str:
    """SHA-256 over the ordered blocks' keys, versions and contents."""
    digest = hashlib.sha256()
    for block in ordered_blocks(blocks):
        for piece in (block.key, str(block.version), block.content):
            digest.update(piece.encode())
            digest.update(b"\0")
    return digest.hexdigest()


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    import yaml

    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not sep:
        raise ValidationFailed(f"{path.name}: a prompt block starts with a --- front matter ---")
    meta = yaml.safe_load(head)
    if not isinstance(meta, dict):
        raise ValidationFailed(f"{path.name}: the front matter must be a mapping")
    return meta, body.strip() + "\n"


def _built_schema() -> dict[str, Any] | None:
    try:
        from shared.dashboards.schema import dashboard_schema
    except ImportError:
        return None
    return dashboard_schema()


def _schema_text(schema_path: Path, *, build_schema: bool) -> str:
    """The schema file, else the schema ``shared.dashboards`` builds, else a short summary."""
    schema: dict[str, Any] | None = None
    if schema_path.is_file():
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    elif build_schema:
        schema = _built_schema()
    if schema is None:
        return SCHEMA_FALLBACK.read_text(encoding="utf-8").strip()
    return (
        "```json\n" + json.dumps(prompt_schema(schema), separators=(",", ":"), ensure_ascii=False) + "\n```"
    )


_ANNOTATIONS = ("description", "examples")


def prompt_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each distinct description and examples kept at their first occurrence only.

    Every view type repeats the shared view fields (id, query, layout, title, ...) with the same
    annotations; the prompt names each once. Validation keywords are untouched.
    """
    seen: set[tuple[str, str]] = set()

    def walk(node: Any, parent: str | None) -> Any:
        if isinstance(node, list):
            return [walk(item, parent) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ANNOTATIONS and parent != "properties":  # under properties it names a field
                mark = (key, json.dumps(value, sort_keys=True))
                if mark in seen:
                    continue
                seen.add(mark)
            out[key] = walk(value, key)
        return out

    result: dict[str, Any] = walk(schema, None)
    return result


def load_block(path: Path, *, schema_path: Path = SCHEMA_PATH, build_schema: bool = True) -> PromptBlock:
    """Parse one ``*.md`` block file; ValidationFailed when its front matter is incomplete."""
    meta, content = _split_front_matter(path, path.read_text(encoding="utf-8"))
    if SCHEMA_PLACEHOLDER in content:
        content = content.replace(SCHEMA_PLACEHOLDER, _schema_text(schema_path, build_schema=build_schema))
    try:
        hint = meta.get("cache_hint", "stable")
        if hint not in ("stable", "volatile"):
            raise ValueError(f"cache_hint must be stable or volatile, not {hint!r}")
        return PromptBlock(
            key=str(meta["key"]),
            version=int(meta["version"]),
            content=content,
            cache_hint=hint,
            order=int(meta.get("order", 100)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"{path.name}: bad front matter: {exc}") from exc


def load_blocks(
    directory: Path = BLOCKS_DIR, *, schema_path: Path = SCHEMA_PATH, build_schema: bool = True
) -> list[PromptBlock]:
    """Every block in ``directory``, in prefix order."""
    paths = sorted(directory.glob("*.md"))
    return ordered_blocks(load_block(p, schema_path=schema_path, build_schema=build_schema) for p in paths)


@lru_cache(maxsize=1)
def seed_blocks() -> tuple[PromptBlock, ...]:
    """The shipped blocks (role, dashboard schema, BigQuery practice, layout), loaded once."""
    return tuple(load_blocks())


def stored_blocks(db: Database) -> list[PromptBlock]:
    """The blocks in the directory DB, seeded from :func:`load_blocks` when it has none."""
    from sqlalchemy import select

    from shared.db.models import PromptBlockRow

    with db.session() as s:
        rows = list(s.scalars(select(PromptBlockRow)))
        if not rows:
            for b in load_blocks():
                s.add(
                    PromptBlockRow(
                        key=b.key,
                        version=b.version,
                        position=b.order,
                        content=b.content,
                        cache_hint=b.cache_hint,
                    )
                )
            s.flush()
            rows = list(s.scalars(select(PromptBlockRow)))
        return [PromptBlock(r.key, r.version, r.content, r.cache_hint, r.position) for r in rows]  # type: ignore[arg-type]


def __getattr__(name: str) -> Sequence[PromptBlock]:
    if name == "SEED_BLOCKS":  # loaded on first access, not at import
        return seed_blocks()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
