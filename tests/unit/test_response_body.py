"""A data response is serialized once: the sent body and the kept hit body share every view's
encoded rows, and nothing is gzipped until a client asks for gzip."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from shared.services.serving.body import Body, serialized


class Cell:
    """A value JSON cannot carry: encoding it calls ``str`` (the serializer's default), counted."""

    encoded = 0

    def __str__(self) -> str:
        Cell.encoded += 1
        return "cell"


def _body(*statuses: str) -> dict[str, Any]:
    return {
        "dashboard": {"slug": "d", "title": "D"},
        "parameters": [],
        "views": [
            {"view_id": f"v{i}", "status": "ok", "values": [[Cell(), 1.5]], "cache": status}
            for i, status in enumerate(statuses)
        ],
    }


def test_a_miss_encodes_each_view_once_for_both_bodies() -> None:
    Cell.encoded = 0
    body = _body("miss", "hit", "none")
    sent, kept = serialized(body)
    assert Cell.encoded == 3  # one per view, not one per body
    expected = json.loads(json.dumps(body, default=str))
    assert json.loads(sent.raw) == expected
    for view in expected["views"]:
        view["cache"] = "hit" if view["cache"] == "miss" else view["cache"]
    assert json.loads(kept.raw) == expected


def test_without_a_miss_both_bodies_are_one() -> None:
    sent, kept = serialized(_body("hit", "none"))
    assert sent is kept


def test_gzip_is_made_on_first_ask_and_kept() -> None:
    sent, _ = serialized(_body("miss"))
    assert sent._packed is None
    packed = sent.packed
    assert gzip.decompress(packed) == sent.raw and sent.packed is packed
    assert len(sent.raw) + len(packed) <= sent.held_bytes


def test_a_body_without_views_or_head_members_is_valid_json() -> None:
    assert json.loads(serialized({"views": []})[0].raw) == {"views": []}
    assert json.loads(serialized({"views": [{"cache": "miss"}]})[1].raw) == {"views": [{"cache": "hit"}]}


def test_a_stored_gzip_is_decompressed_only_when_the_json_is_asked_for() -> None:
    sent, _ = serialized(_body("hit"))
    stored = Body(packed=sent.packed)
    assert stored.packed is sent.packed and stored._raw is None
    bound = stored.held_bytes
    assert stored._raw is None  # sizing reads the gzip trailer, not the JSON
    assert stored.raw == sent.raw and bound == sent.held_bytes


def test_a_body_needs_one_of_its_forms() -> None:
    with pytest.raises(ValueError):
        Body()
