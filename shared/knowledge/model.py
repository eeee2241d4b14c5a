"""The typed knowledge file (pydantic, every object closed); the JSON Schema is generated from it.

Columns are written ``table.column`` with the table's short name (``order_items.sale_price``). A
metric's ``sql`` is one aggregate expression over such columns and may name other metrics of the
file (``revenue / COUNT(DISTINCT order_items.order_id)``); its ``filter`` is a condition the
metric always applies (and the metrics naming it inherit).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
COLUMN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,79}$"
FORMATS = ("currency", "percent", "integer", "number")
MAX_ITEMS = 500

Synonym = Annotated[str, Field(min_length=1, max_length=100)]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _synonyms() -> list[Synonym]:
    return []


class Metric(_Closed):
    name: str = Field(
        pattern=NAME_PATTERN,
        description="The metric's name: lowercase letters, digits and _ (its words are matched too).",
        examples=["average_order_value"],
    )
    synonyms: list[Synonym] = Field(
        default_factory=_synonyms,
        max_length=50,
        description="Other words people use for it.",
        examples=[["aov", "basket size"]],
    )
    description: str | None = Field(
        None, max_length=1000, description="What it means, in a sentence.", examples=["Completed sales."]
    )
    sql: str = Field(
        min_length=1,
        max_length=4000,
        description="One aggregate SQL expression over table.column names (or other metrics' names).",
        examples=["SUM(order_items.sale_price) / COUNT(DISTINCT order_items.order_id)"],
    )
    filter: str | None = Field(
        None,
        min_length=1,
        max_length=4000,
        description="A condition this metric always applies (and metrics naming it inherit).",
        examples=["order_items.status NOT IN ('Cancelled', 'Returned')"],
    )
    format: Literal["currency", "percent", "integer", "number"] = Field(
        "number", description="How values are shown.", examples=["currency"]
    )


class Dimension(_Closed):
    column: str = Field(
        pattern=COLUMN_PATTERN,
        description="The column, as table.column with the table's short name.",
        examples=["users.created_at"],
    )
    name: str | None = Field(
        None, min_length=1, max_length=100, description="A friendly name.", examples=["signup date"]
    )
    synonyms: list[Synonym] = Field(
        default_factory=_synonyms,
        max_length=50,
        description="Other words people use for it.",
        examples=[["signup date", "signups"]],
    )
    description: str | None = Field(
        None, max_length=1000, description="What it holds.", examples=["When the user signed up."]
    )


class JoinPath(_Closed):
    from_: str = Field(
        alias="from",
        pattern=COLUMN_PATTERN,
        description="The many side's key column (table.column).",
        examples=["order_items.user_id"],
    )
    to: str = Field(
        pattern=COLUMN_PATTERN, description="The one side's key column (table.column).", examples=["users.id"]
    )


class VerifiedAnswer(_Closed):
    question: str = Field(
        min_length=1,
        max_length=500,
        description="A question as people ask it.",
        examples=["Revenue by month this year"],
    )
    dashboard: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        description="The slug of the dashboard that answers it.",
        examples=["revenue"],
    )
    sql: str | None = Field(
        None,
        min_length=1,
        max_length=20000,
        description="Or the query that answers it (one SELECT over the connection's tables).",
        examples=["SELECT COUNT(*) AS orders FROM `demo.thelook_ecommerce.orders`"],
    )


class Knowledge(_Closed):
    """A team's knowledge file."""

    version: Literal[1] = Field(description="Format version; always 1.", examples=[1])
    metrics: list[Metric] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Named measures the agent uses before raw columns.",
        examples=[[{"name": "revenue", "sql": "SUM(order_items.sale_price)", "format": "currency"}]],
    )
    dimensions: list[Dimension] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Friendly names and synonyms of columns.",
        examples=[[{"column": "users.created_at", "synonyms": ["signup date"]}]],
    )
    joins: list[JoinPath] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Preferred join paths between tables (many side to one side).",
        examples=[[{"from": "order_items.user_id", "to": "users.id"}]],
    )
    instructions: str | None = Field(
        None,
        max_length=8000,
        description="Short free text for the agent.",
        examples=["Fiscal year starts in April."],
    )
    verified_answers: list[VerifiedAnswer] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Questions with the dashboard or query that answers them.",
        examples=[[{"question": "Revenue by month", "dashboard": "revenue"}]],
    )

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)


EMPTY = Knowledge(version=1)
