"""Map the words of a request onto a catalog: measures, dimensions, time columns and join paths.

Works for any schema: names are matched by their words (``amount_cents`` → amount, cents), joins
follow ``x_id`` → table ``x``/``xs`` (or a ``(table.column)`` note in the column description), and
revenue-like columns are recognised by name. Descriptions only rank candidates; they are data,
never instructions.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from shared.adapters.model.offline.intent import MeasureAsk, singular

if TYPE_CHECKING:
    from shared.adapters.model.offline.knowledge_terms import KnowledgeTerms
    from shared.adapters.model.protocol import TableSchemaResult

NUMERIC = frozenset({"INT64", "INTEGER", "FLOAT64", "FLOAT", "NUMERIC", "BIGNUMERIC", "DECIMAL"})
TEMPORAL = frozenset({"DATE", "DATETIME", "TIMESTAMP"})
REVENUE_WORDS = frozenset(
    [
        "revenue",
        "revenues",
        "sales",
        "sale",
        "gmv",
        "turnover",
        "income",
        "earnings",
        "bookings",
        "billing",
        "billings",
        "money",
        "sold",
        "invoiced",
        "spend",
        "spending",
    ]
)
REVENUE_COLUMNS = (("revenue", 10), ("sale_price", 9), ("sales", 9), ("amount", 8), ("total", 6),
                   ("mrr", 2), ("price", 4), ("value", 3))  # fmt: skip
MONEY_WORDS = frozenset(
    [
        "revenue",
        "sales",
        "sale",
        "price",
        "cost",
        "amount",
        "mrr",
        "arr",
        "total",
        "gmv",
        "income",
        "spend",
        "profit",
        "fee",
        "value",
    ]
)
PEOPLE = frozenset(["user", "users", "customer", "customers", "buyer", "buyers", "shopper", "shoppers", "client", "clients", "member", "members", "account", "accounts", "signup", "signups", "sign-ups", "subscriber", "subscribers", "people", "visitor"])  # fmt: skip
PEOPLE_TABLES = ("users", "customers", "accounts", "members", "clients", "subscribers")
LABEL_COLUMNS = ("name", "title", "label", "full_name", "display_name", "email")
TIME_NAMES = ("created_at", "created", "order_date", "date", "signup_date", "signed_up_at", "issued_at",
              "invoice_date", "occurred_at", "event_time", "timestamp", "started_at", "start_date", "paid_at")  # fmt: skip
NOT_DIMENSIONS = re.compile(
    r"(^id$|_id$|email|address|street|postal|zip|phone|latitude|longitude|^ip|uri|url|sku|session|"
    r"first_name|last_name|password|token|hash)"
)
SYNONYMS = {"customer": "user", "buyer": "user", "shopper": "user", "client": "user", "member": "user",
            "source": "traffic_source", "channel": "traffic_source", "item": "order_item",
            "sale": "order_item", "signup": "user", "sign-up": "user", "subscriber": "user",
            "visit": "event", "pageview": "event", "dc": "distribution_center", "warehouse": "distribution_center"}  # fmt: skip


def words_of(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    description: str = ""
    sample_values: tuple[str, ...] = ()  # the scan's frequent values of a text column, most frequent first

    @property
    def numeric(self) -> bool:
        return self.type.upper() in NUMERIC

    @property
    def temporal(self) -> bool:
        return self.type.upper() in TEMPORAL


@dataclass(frozen=True)
class TableSchema:
    name: str  # project.dataset.table
    columns: tuple[Col, ...]
    partitioning: str | None = None
    row_count: int | None = None
    description: str = ""

    @classmethod
    def from_result(cls, result: TableSchemaResult) -> TableSchema:
        """The planner's view of a ``get_table_schema`` result."""
        return cls(
            name=result.name,
            columns=tuple(
                Col(c.name, c.type, c.description or "", tuple(c.sample_values or ())) for c in result.columns
            ),
            partitioning=result.partitioning,
            row_count=result.row_count,
            description=result.description or "",
        )

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @cached_property  # asked for every table at every step of the planner
    def entity(self) -> str:
        """The singular noun the table holds: order_items → order_item."""
        return singular(self.short.lower())

    def col(self, name: str) -> Col | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)

    @property
    def time_column(self) -> str | None:
        """The column that dates a row: the partition column, a well-known name, or the first date."""
        if self.partitioning and (c := self.col(self.partitioning)) and c.temporal:
            return c.name
        temporal = [c for c in self.columns if c.temporal]
        for name in TIME_NAMES:
            for c in temporal:
                if c.name.lower() == name:
                    return c.name
        return temporal[0].name if temporal else None

    @property
    def key(self) -> str | None:
        if self.col("id"):
            return "id"
        own = self.col(f"{self.entity}_id")
        return own.name if own else None


@dataclass(frozen=True)
class Join:
    """``from_table.from_column = to_table.to_column`` (many-to-one)."""

    from_table: str
    from_column: str
    to_table: str
    to_column: str


@dataclass(frozen=True)
class Measure:
    table: str
    kind: str  # sum, avg, min, max, median, count_rows, count_distinct
    column: str | None
    alias: str
    label: str
    format: str  # currency, integer, number
    scale: int = 1  # divide by this (amount_cents → 100)
    score: float = 0.0
    # a team's definition (kind "sql"): its expression over short table names, filters, tables read
    sql: str | None = None
    where: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    time_column: str | None = None  # dates the rows instead of the table's own time column
    expr: str | None = None  # kind "derived": SQL over one table, ``{t}`` = its alias
    why: str = ""  # kind "derived": how it is computed, in words


@dataclass(frozen=True)
class Dimension:
    table: str
    column: str
    alias: str
    label: str
    score: float = 0.0


class Catalog:
    """Tables with their schemas, and the many-to-one joins between them."""

    def __init__(self, tables: list[TableSchema], terms: KnowledgeTerms | None = None) -> None:
        self.tables = {t.name: t for t in tables}
        self.terms = terms  # the team's knowledge: asked first for measures, dimensions and joins
        self.edges: dict[str, list[Join]] = {t.name: self._edges(t) for t in tables}
        for j in terms.joins(self) if terms else []:
            self.edges[j.from_table].insert(0, j)

    def table(self, name: str) -> TableSchema:
        return self.tables[name]

    def by_entity(self, word: str) -> list[TableSchema]:
        """Tables whose noun is ``word`` (singular or plural, synonyms allowed), best first."""
        w = singular(word.lower())
        w = SYNONYMS.get(w, w)
        exact = [t for t in self.tables.values() if t.entity == w]
        if exact:
            return exact
        if w == "user":
            return [t for n in PEOPLE_TABLES for t in self.tables.values() if t.short.lower() == n]
        return [t for t in self.tables.values() if t.entity.endswith("_" + w)]

    def _edges(self, t: TableSchema) -> list[Join]:
        found: list[Join] = []
        for c in t.columns:
            low = c.name.lower()
            target: tuple[TableSchema, str] | None = None
            m = re.search(r"\((\w+)\.(\w+)\)", c.description or "")
            if m:
                hit = [x for x in self.tables.values() if x.short.lower() == m.group(1).lower()]
                if hit and hit[0].col(m.group(2)) and hit[0].name != t.name:
                    target = (hit[0], hit[0].col(m.group(2)).name)  # type: ignore[union-attr]
            if target is None and low.endswith("_id") and low != "id":
                for x in self.by_entity(low[:-3]):
                    if x.name != t.name and x.key:
                        target = (x, x.key)
                        break
            if target is not None:
                found.append(Join(t.name, c.name, target[0].name, target[1]))
        return found

    def path(self, start: str, goal: str, max_hops: int = 2) -> list[Join] | None:
        """The shortest many-to-one join path from ``start`` to ``goal`` (None when unreachable)."""
        if start == goal:
            return []
        queue: deque[tuple[str, list[Join]]] = deque([(start, [])])
        seen = {start}
        while queue:
            node, path = queue.popleft()
            if len(path) >= max_hops:
                continue
            for j in self.edges.get(node, []):
                if j.to_table in seen:
                    continue
                if j.to_table == goal:
                    return [*path, j]
                seen.add(j.to_table)
                queue.append((j.to_table, [*path, j]))
        return None

    def reachable(self, start: str, max_hops: int = 2) -> list[str]:
        return [t for t in self.tables if self.path(start, t, max_hops) is not None]

    # -- measures ------------------------------------------------------------------------

    def measures(self, ask: MeasureAsk) -> list[Measure]:
        """Candidate measures for ``ask`` across all tables, best first (empty: not a measure)."""
        if self.terms and (defined := self.terms.measures(ask, self)):
            return defined
        phrase = ask.phrase.lower()
        words = [singular(w) for w in phrase.split()]
        head = words[-1] if words else ""
        found: list[Measure] = []
        exact_column = any(
            [singular(w) for w in words_of(c.name) if w != "cents"] == words
            for t in self.tables.values()
            for c in t.columns
            if c.numeric
        )
        revenue = not exact_column and any(
            w in REVENUE_WORDS or singular(w) in REVENUE_WORDS for w in phrase.split()
        )
        for t in self.tables.values():
            fact = _fact_bonus(t)
            if revenue:
                for c in t.columns:
                    if not c.numeric or NOT_DIMENSIONS.search(c.name.lower()):
                        continue
                    score = max((s for key, s in REVENUE_COLUMNS if key in c.name.lower()), default=0)
                    if "revenue" in c.description.lower():
                        score += 3
                    if score:
                        kind = ask.aggregate if ask.aggregate in ("avg", "min", "max", "median") else "sum"
                        found.append(self._numeric(t, c, kind, "revenue", score + fact))
                continue
            for c in t.columns:
                if not c.numeric or c.name.lower() == "id" or c.name.lower().endswith("_id"):
                    continue
                cw = [singular(w) for w in words_of(c.name) if w != "cents"]
                own = [w for w in words if w not in t.entity.split("_")] or words
                if own and (own == cw or (own[-1] in cw and all(w in cw for w in own))):
                    exact = 8 if own == cw else 6
                    kind = ask.aggregate if ask.aggregate in ("avg", "min", "max", "median", "sum") else ""
                    kind = kind or ("avg" if head in ("price", "age", "rating", "score") else "sum")
                    found.append(self._numeric(t, c, kind, " ".join(words), exact + fact))
        if not revenue:
            found.extend(self._counts(ask, head, any_word=not found))
        return sorted(found, key=lambda m: (-m.score, m.table, m.alias))

    def _numeric(self, t: TableSchema, c: Col, kind: str, noun: str, score: float) -> Measure:
        cents = c.name.lower().endswith("_cents")
        money = cents or any(w in MONEY_WORDS for w in words_of(c.name)) or noun == "revenue"
        base = noun if noun == "revenue" else "_".join(w for w in words_of(c.name) if w != "cents")
        prefix = {"sum": "", "avg": "avg_", "min": "min_", "max": "max_", "median": "median_"}[kind]
        label = {"sum": "", "avg": "Average ", "min": "Lowest ", "max": "Highest ", "median": "Median "}[kind]
        nice = base.replace("_", " ")
        return Measure(
            table=t.name,
            kind=kind,
            column=c.name,
            alias=_ident(prefix + base),
            label=(label + nice).strip().capitalize() if label else nice.capitalize(),
            format="currency" if money else "number",
            scale=100 if cents else 1,
            score=score,
        )

    def _counts(self, ask: MeasureAsk, head: str, *, any_word: bool = False) -> list[Measure]:
        out: list[Measure] = []
        noun = head
        if noun in ("session",) or ask.phrase.lower().rstrip("s") == "session":
            for t in self.tables.values():
                c = t.col("session_id")
                if c:
                    out.append(
                        Measure(t.name, "count_distinct", c.name, "sessions", "Sessions", "integer", 1, 7)
                    )
            return out
        words = [singular(w) for w in ask.phrase.lower().split()]
        targets: list[TableSchema] = []
        for word in [noun, *reversed(words)] if any_word else [noun]:
            targets = self.by_entity(word)
            if targets:
                noun = word
                break
        if not targets:
            return out
        distinct = ask.aggregate == "count_distinct"
        typed = next((w for w in ask.phrase.lower().split() if singular(w) == noun), noun)
        for target in targets:
            label = _plural(typed).capitalize()
            alias = _ident(_plural(typed))
            if not distinct:
                out.append(
                    Measure(
                        target.name, "count_rows", None, alias, label, "integer", 1, 9 + _fact_bonus(target)
                    )
                )
            key = f"{target.entity}_id"
            for t in self.tables.values():
                if t.name == target.name:
                    continue
                c = t.col(key) or (
                    t.col("user_id")
                    if target.entity in ("user", "customer", "account")
                    and t.col(f"{target.entity}_id") is None
                    and target.short in PEOPLE_TABLES
                    else None
                )
                if c is not None:
                    out.append(
                        Measure(
                            t.name,
                            "count_distinct",
                            c.name,
                            alias,
                            label,
                            "integer",
                            1,
                            (9 if distinct else 5) + _fact_bonus(t),
                        )
                    )
        return out

    # -- dimensions ----------------------------------------------------------------------

    def dimensions(self, phrase: str) -> list[Dimension]:
        """Candidate grouping columns for ``phrase`` ("category", "traffic source", "product")."""
        if self.terms and (defined := self.terms.dimensions(phrase, self)):
            return defined
        words = [singular(w) for w in phrase.lower().split()]
        if words in (["source"], ["channel"]):
            words = ["traffic", "source"]
        joined = "_".join(words)
        found: list[Dimension] = []
        for t in self.tables.values():
            for c in t.columns:
                low = c.name.lower()
                cw = [singular(w) for w in words_of(low)]
                score = 0.0
                if low == joined or "_".join(cw) == joined:
                    score = 10
                elif (
                    NOT_DIMENSIONS.search(low)
                    or c.temporal
                    or (c.numeric and not low.endswith(("year", "age")))
                ):
                    continue
                elif words and cw[-len(words) :] == words:
                    score = 6
                elif words and all(w in cw for w in words):
                    score = 5
                if score:
                    found.append(
                        Dimension(t.name, c.name, _ident(low), c.name.replace("_", " ").capitalize(), score)
                    )
        if len(words) >= 2:
            for t in self.by_entity(words[0]):
                column = t.col("_".join(words[1:]))
                if column is not None and not column.temporal:
                    found.append(
                        Dimension(
                            t.name,
                            column.name,
                            _ident(column.name),
                            column.name.replace("_", " ").capitalize(),
                            10,
                        )
                    )
        for t in self.by_entity(words[-1] if words else ""):
            label = next((t.col(n) for n in LABEL_COLUMNS if t.col(n)), None)
            if label is not None:
                found.append(
                    Dimension(
                        t.name,
                        label.name,
                        _ident(t.entity if label.name == "name" else label.name),
                        t.entity.replace("_", " ").capitalize(),
                        8,
                    )
                )
        return sorted(found, key=lambda d: (-d.score, d.table, d.column))

    def filter_columns(self, base: str) -> list[tuple[str, str]]:
        """(table, column) pairs of categorical text columns reachable from ``base``."""
        out = []
        reachable = self.reachable(base)
        for name in reachable:
            for c in self.tables[name].columns:
                original = self.copy_of(name, c.name)
                if original is not None and original[0] in reachable:
                    continue
                if c.type.upper() == "STRING" and not NOT_DIMENSIONS.search(c.name.lower()):
                    out.append((name, c.name))
        return out

    def copy_of(self, table: str, column: str) -> tuple[str, str] | None:
        """The (table, column) that ``column`` copies: inventory_items.product_category → products.category."""
        parts = column.lower().split("_")
        for i in range(1, len(parts)):
            prefix, rest = "_".join(parts[:i]), "_".join(parts[i:])
            for t in self.by_entity(prefix):
                if t.name != table and t.col(rest):
                    return t.name, t.col(rest).name  # type: ignore[union-attr]
        return None


def _fact_bonus(t: TableSchema) -> float:
    """Tables with a time column and many rows are where events (sales, orders) live."""
    bonus = 1.0 if t.time_column else 0.0
    if t.row_count:
        bonus += min(t.row_count, 10**9) ** 0.5 / 10**5
    return bonus


def _plural(word: str) -> str:
    w = word.lower()
    if w.endswith("s"):
        return w
    if w.endswith("y") and w[-2:-1] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


def _ident(text: str) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "value"
    return name if name[0].isalpha() else "v_" + name
