"""The choices of a string parameter with ``values_from``: distinct values of one query column.

The column's query runs wrapped in ``SELECT DISTINCT`` (built with sqlglot, the search text a bound
parameter), with the dashboard's other parameters at their request values, under the team's byte
cap and a small row limit.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlalchemy.orm import Session
from sqlglot import exp

from shared.adapters.identity.port import Principal
from shared.adapters.warehouse.port import QueryOptions, QueryParam
from shared.errors import NotFound
from shared.services.queries import ConnectionSql, byte_cap
from shared.services.serving import ServingPorts
from shared.services.teams import require_team

MAX_VALUES = 200


def distinct_sql(query_sql: str, field: str, *, search: bool) -> str:
    """``SELECT DISTINCT`` text values of ``field`` over the query, optionally containing ``@q``."""
    inner = sqlglot.parse_one(query_sql.strip().rstrip(";"), read="bigquery")
    text = exp.Cast(this=exp.column(field, quoted=True), to=exp.DataType.build("STRING"))
    select = (
        exp.select(exp.alias_(text, "value", quoted=True))
        .distinct()
        .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("v"))))
        .where(exp.Not(this=exp.Is(this=exp.column(field, quoted=True), expression=exp.Null())))
    )
    if search:
        contains = sqlglot.parse_one("STRPOS(LOWER(x), LOWER(@q)) > 0", read="bigquery")
        contains = contains.transform(
            lambda n: text.copy() if isinstance(n, exp.Column) and n.name == "x" else n
        )
        select = select.where(contains)
    return select.order_by(exp.column("value", quoted=True)).limit(MAX_VALUES + 1).sql(dialect="bigquery")


def parameter_values(
    c: ServingPorts, s: Session, who: Principal, team_id: str, slug: str, name: str, raw: dict[str, str]
) -> dict[str, Any]:
    """``{"values": [...], "truncated": bool}``: at most :data:`MAX_VALUES`, sorted, matching ``q``."""
    from shared.dashboards.params import bind_parameters

    team = require_team(s, who, team_id)
    loaded = c.data_service.load(s, team, slug)
    parameter = next((p for p in loaded.dashboard.parameters if p.name == name), None)
    source = getattr(parameter, "values_from", None)
    if source is None:
        raise NotFound(f"parameter '{name}' has no values_from")
    query = loaded.dashboard.queries.get(source.query)
    if query is None:
        raise NotFound(f"query '{source.query}' not found")
    search = (raw.get("q") or "").strip()[:200]
    sql_text = distinct_sql(query.sql, source.field, search=bool(search))
    bound = [p for p in bind_parameters(loaded.dashboard, raw) if p.name != "q"]
    if search:
        bound.append(QueryParam("q", "STRING", search))
    sql = ConnectionSql.load(c, s, loaded.conn)
    options = QueryOptions(max_bytes_billed=byte_cap(c, team), row_limit=MAX_VALUES + 1)
    used = {node.name for node in sqlglot.parse_one(sql_text, read="bigquery").find_all(exp.Parameter)}
    params = tuple(p for p in bound if p.name in used)
    result = sql.query(sql_text, params, options)
    values = [row[0] for row in result.rows]
    return {"values": values[:MAX_VALUES], "truncated": len(values) > MAX_VALUES}
