"""Accepting feedback edits the knowledge file as a round-trip document: the admin's comments, key
order, quoting and indentation stay; only the key the change touches grows."""

from __future__ import annotations

import pytest
import yaml

from shared.errors import ValidationFailed
from shared.knowledge.edit import with_change

HEADER = "# yaml-language-server: $schema=https://bridge.dev/schemas/knowledge.schema.json\n"
HAND_WRITTEN = (
    HEADER
    + """\
version: 1
# the answers we trust, newest last
verified_answers:
  - question: Revenue by month  # asked every Monday
    dashboard: revenue
metrics:
  - name: revenue
    sql: 'SUM(order_items.sale_price)'
instructions: |
  Fiscal year starts in April.
"""
)
ANSWER = {"kind": "verified_answer", "question": "Orders by status", "dashboard": "orders"}


def test_a_verified_answer_is_appended_after_the_existing_ones_with_everything_else_as_written() -> None:
    out = with_change(HAND_WRITTEN, ANSWER)
    at = HAND_WRITTEN.index("metrics:")
    assert (
        out
        == HAND_WRITTEN[:at] + "  - question: Orders by status\n    dashboard: orders\n" + HAND_WRITTEN[at:]
    )
    assert with_change(out, ANSWER) == out  # the same answer is not added twice


def test_an_instruction_extends_the_block_and_a_missing_key_is_added_at_the_end() -> None:
    out = with_change(HAND_WRITTEN, {"kind": "instruction", "text": "Exclude test accounts."})
    assert out == HAND_WRITTEN + "  Exclude test accounts.\n"
    fresh = with_change(HEADER + "version: 1  # keep\n", ANSWER)
    assert (
        fresh
        == HEADER
        + "version: 1  # keep\nverified_answers:\n- question: Orders by status\n  dashboard: orders\n"
    )
    assert yaml.safe_load(fresh)["verified_answers"] == [
        {"question": "Orders by status", "dashboard": "orders"}
    ]


def test_a_file_that_is_not_a_mapping_or_does_not_parse_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="not a mapping"):
        with_change("- just a list\n", ANSWER)
    with pytest.raises(ValidationFailed, match="does not parse"):
        with_change("version: [1\n", ANSWER)
