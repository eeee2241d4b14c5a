"""Deterministic generator of the ``thelook_ecommerce`` demo warehouse (a DuckDB file).

Rows are generated inside DuckDB with set-based SQL; every random draw is a hash of
(seed, row key, salt), so the same seed, scale and end date give the same rows (with the same
DuckDB version, whose ``hash`` they rely on).
Realism: sales grow over time with November/December peaks, countries, brands and products are
skewed, order statuses follow their life cycle (recent orders are still Processing or Shipped),
users sign up before they order, and web sessions walk home → department → product → cart →
purchase. Scale 1.0 is about 100k order items.

Run ``python -m shared.dev.demo_data --scale 10 --out demo.duckdb`` to build a file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from shared.dev.demo_events import generate_events
from shared.dev.demo_vocabulary import (
    ADJECTIVES,
    BRANDS,
    BROWSERS,
    CATEGORIES,
    DATASET,
    DISTRIBUTION_CENTERS,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    GEO,
    LAST_NAMES,
    MATERIALS,
    MONTH_SEASONALITY,
    PRODUCTS,
    STATUSES,
    STREET_KINDS,
    STREETS,
    TRAFFIC_SOURCES,
    YEARLY_GROWTH,
)
from shared.errors import BadRequest

META_SCHEMA = "_bridge"
START_DATE = date(2019, 1, 1)
GENERATOR_VERSION = 1
ITEMS_PER_ORDER = {1: 60, 2: 25, 3: 10, 4: 5}  # mean 1.6 items per order
ORDERS_PER_SCALE = 62_500  # x 1.6 = 100k order items at scale 1
USERS_PER_ORDER = 0.8
UNSOLD_STOCK_SHARE = 0.3


def _buckets(weights: Mapping[Any, float], size: int = 1000) -> list[Any]:
    """A list of ``size`` items in which each key appears in proportion to its weight."""
    total = sum(weights.values())
    shares = {k: w * size / total for k, w in weights.items()}
    counts = {k: math.floor(s) for k, s in shares.items()}
    by_remainder = sorted(shares, key=lambda k: shares[k] - counts[k], reverse=True)
    for k in by_remainder[: size - sum(counts.values())]:
        counts[k] += 1
    return [k for k, n in counts.items() for _ in range(n)]


def _day_curve(end: date, seed: int) -> tuple[list[date], list[float], list[float]]:
    """Days from START_DATE to ``end`` with the [lo, hi) slice of cumulative sales each holds."""
    rng = random.Random(seed)
    days, weights = [], []
    day = START_DATE
    while day <= end:
        years = (day - START_DATE).days / 365.25
        weight = math.exp(YEARLY_GROWTH * years) * MONTH_SEASONALITY[day.month - 1]
        weight *= (1.08 if day.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1)
        days.append(day)
        weights.append(weight)
        day += timedelta(days=1)
    total = sum(weights)
    lo, acc = [], 0.0
    for w in weights:
        lo.append(acc / total)
        acc += w
    hi = [*lo[1:], 1.0]
    return days, lo, hi


def _layout() -> dict[str, Any]:
    text = resources.files("shared.dev").joinpath("thelook.json").read_text(encoding="utf-8")
    layout: dict[str, Any] = json.loads(text)
    return layout


_DUCK_TYPES = {"INT64": "BIGINT", "STRING": "VARCHAR", "FLOAT64": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _create_tables(con: duckdb.DuckDBPyConnection, layout: dict[str, Any]) -> None:
    con.execute(f"CREATE SCHEMA {DATASET}")
    for name, table in layout["tables"].items():
        cols = ", ".join(f"{col} {_DUCK_TYPES[typ]}" for col, typ, _ in table["columns"])
        con.execute(f"CREATE TABLE {DATASET}.{name} ({cols})")
        con.execute(f"COMMENT ON TABLE {DATASET}.{name} IS {_quote(table['description'])}")
        for col, _, description in table["columns"]:
            con.execute(f"COMMENT ON COLUMN {DATASET}.{name}.{col} IS {_quote(description)}")


def _write_metadata(con: duckdb.DuckDBPyConnection, layout: dict[str, Any], info: dict[str, str]) -> None:
    con.execute(f"CREATE SCHEMA {META_SCHEMA}")
    con.execute(
        f"CREATE TABLE {META_SCHEMA}.datasets (dataset VARCHAR, description VARCHAR, location VARCHAR)"
    )
    con.execute(
        f"INSERT INTO {META_SCHEMA}.datasets VALUES (?, ?, 'local')", [DATASET, layout["description"]]
    )
    con.execute(
        f"CREATE TABLE {META_SCHEMA}.tables (dataset VARCHAR, table_name VARCHAR,"
        " partition_column VARCHAR, partition_type VARCHAR, clustering VARCHAR[])"
    )
    for name, table in layout["tables"].items():
        part = table["partitioning"]
        con.execute(
            f"INSERT INTO {META_SCHEMA}.tables VALUES (?, ?, ?, ?, ?)",
            [DATASET, name, part, "DAY" if part else None, table["clustering"]],
        )
    con.execute(f"CREATE TABLE {META_SCHEMA}.demo (key VARCHAR, value VARCHAR)")
    con.executemany(f"INSERT INTO {META_SCHEMA}.demo VALUES (?, ?)", sorted(info.items()))


def _load_lookups(con: duckdb.DuckDBPyConnection, seed: int, end: date) -> None:
    days, lo, hi = _day_curve(end, seed)
    con.execute(
        "CREATE TEMP TABLE days AS SELECT unnest($day) AS day, unnest($lo) AS lo, unnest($hi) AS hi",
        {"day": days, "lo": lo, "hi": hi},
    )
    geo_weights = {i: row[6] for i, row in enumerate(GEO, start=1)}
    con.execute(
        "CREATE TEMP TABLE geo AS SELECT unnest(range(1, $n + 1)) AS geo_id, unnest($country) AS country,"
        " unnest($state) AS state, unnest($city) AS city, unnest($postal) AS postal_prefix,"
        " unnest($lat) AS lat, unnest($lon) AS lon",
        {
            "n": len(GEO),
            "country": [g[0] for g in GEO],
            "state": [g[1] for g in GEO],
            "city": [g[2] for g in GEO],
            "postal": [g[3] for g in GEO],
            "lat": [g[4] for g in GEO],
            "lon": [g[5] for g in GEO],
        },
    )
    lists: dict[str, list[Any]] = {
        "geo": _buckets(geo_weights, 2000),
        "status": _buckets(STATUSES),
        "traffic": _buckets(TRAFFIC_SOURCES),
        "browser": _buckets(BROWSERS),
        "items": _buckets(ITEMS_PER_ORDER, 100),
        "women_cat": _buckets({c: w for c, (w, _, _) in CATEGORIES.items() if w}),
        "men_cat": _buckets({c: w for c, (_, w, _) in CATEGORIES.items() if w}),
        "cat_name": list(CATEGORIES),
        "cat_price": [p for _, _, p in CATEGORIES.values()],
        "brand": list(BRANDS),
        "adjective": list(ADJECTIVES),
        "material": list(MATERIALS),
        "first_f": list(FIRST_NAMES_F),
        "first_m": list(FIRST_NAMES_M),
        "last": list(LAST_NAMES),
        "street": list(STREETS),
        "street_kind": list(STREET_KINDS),
    }
    columns = ", ".join(f"${name} AS {name}" for name in lists)
    con.execute(f"CREATE TEMP TABLE L AS SELECT {columns}", lists)


def _macros(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    seed = int(seed)
    # A uniform draw in [0, 1) from (row key, salt): 53 hash bits, as in a double's mantissa.
    con.execute(
        f"CREATE TEMP MACRO rnd(k, salt) AS ((hash(k, salt, {seed}) >> 11)::DOUBLE / 9007199254740992.0)"
    )
    con.execute("CREATE TEMP MACRO pick(arr, u) AS (arr[1 + floor(u * len(arr))::BIGINT])")
    # A time from a quantile of the sales curve: the day holding it, then the offset inside that day.
    con.execute(
        "CREATE TEMP MACRO curve_ts(q, d_day, d_lo, d_hi) AS"
        " (d_day::TIMESTAMP + to_microseconds(((q - d_lo) / (d_hi - d_lo) * 86400e6)::BIGINT))"
    )


def _generate_rows(con: duckdb.DuckDBPyConnection, *, n_orders: int, n_users: int, end: date) -> None:
    ds = DATASET
    end_ts = f"TIMESTAMP '{(end + timedelta(days=1)).isoformat()} 00:00:00'"
    n_dc = len(DISTRIBUTION_CENTERS)
    con.execute(
        f"INSERT INTO {ds}.distribution_centers SELECT unnest(range(1, $n + 1)), unnest($name),"
        " unnest($lat), unnest($lon)",
        {
            "n": n_dc,
            "name": [d[0] for d in DISTRIBUTION_CENTERS],
            "lat": [d[1] for d in DISTRIBUTION_CENTERS],
            "lon": [d[2] for d in DISTRIBUTION_CENTERS],
        },
    )
    # Products: odd ids are Women's, even ids Men's; popularity is skewed when items pick them.
    con.execute(
        f"""
        INSERT INTO {ds}.products BY NAME
        WITH p AS (
          SELECT id, CASE WHEN id % 2 = 1 THEN 'Women' ELSE 'Men' END AS department,
                 CASE WHEN id % 2 = 1 THEN pick(L.women_cat, rnd(id, 'p_cat'))
                      ELSE pick(L.men_cat, rnd(id, 'p_cat')) END AS category,
                 L.brand[1 + floor(len(L.brand) * pow(rnd(id, 'p_brand'), 1.8))::BIGINT] AS brand,
                 pick(L.adjective, rnd(id, 'p_adj')) AS adjective,
                 pick(L.material, rnd(id, 'p_mat')) AS material,
                 exp(0.45 * (rnd(id, 'p_n1') + rnd(id, 'p_n2') + rnd(id, 'p_n3') - 1.5) * 2) AS factor,
                 L.cat_name AS cat_name, L.cat_price AS cat_price
          FROM range(1, {PRODUCTS} + 1) r(id) CROSS JOIN L
        )
        SELECT id, category, department, brand,
               brand || ' ' || adjective || ' ' || material || ' ' || category AS name,
               round(cat_price[list_position(cat_name, category)] * factor, 2) AS retail_price,
               round(cat_price[list_position(cat_name, category)] * factor
                     * (0.35 + 0.25 * rnd(id, 'p_cost')), 2) AS cost,
               upper(md5('sku' || id::VARCHAR || brand)) AS sku,
               1 + floor({n_dc} * pow(rnd(id, 'p_dc'), 1.3))::BIGINT AS distribution_center_id
        FROM p
        """
    )
    # Users: id order follows sign-up time (quantiles of the sales curve), user 1 on the start day.
    con.execute(
        f"""
        CREATE TEMP TABLE u0 AS
        WITH b AS (
          SELECT id, CASE WHEN id = 1 THEN 0.0 ELSE (id - 1 + rnd(id, 'u_q')) / {n_users} END AS q
          FROM range(1, {n_users} + 1) r(id)
        )
        SELECT b.id, curve_ts(b.q, d.day, d.lo, d.hi) AS created_at
        FROM b ASOF JOIN days d ON b.q >= d.lo
        """
    )
    con.execute(
        f"""
        INSERT INTO {ds}.users BY NAME
        WITH b AS (
          SELECT u0.id, u0.created_at, CASE WHEN rnd(u0.id, 'u_g') < 0.5 THEN 'F' ELSE 'M' END AS gender,
                 pick(L.geo, rnd(u0.id, 'u_geo')) AS geo_id, L.*
          FROM u0 CROSS JOIN L
        ), n AS (
          SELECT b.*, CASE WHEN gender = 'F' THEN pick(first_f, rnd(id, 'u_fn'))
                           ELSE pick(first_m, rnd(id, 'u_fn')) END AS first_name,
                 pick(last, rnd(id, 'u_ln')) AS last_name
          FROM b
        )
        SELECT n.id, n.first_name, n.last_name,
               lower(regexp_replace(strip_accents(n.first_name || n.last_name), '[^A-Za-z]', '', 'g'))
                 || (n.id % 1000)::VARCHAR || '@example.'
                 || ['com', 'org', 'net'][1 + (n.id % 3)::BIGINT] AS email,
               12 + floor(59 * rnd(n.id, 'u_age'))::BIGINT AS age, n.gender,
               g.state, (1 + floor(9999 * rnd(n.id, 'u_no')))::BIGINT::VARCHAR || ' '
                 || pick(n.street, rnd(n.id, 'u_st')) || ' ' || pick(n.street_kind, rnd(n.id, 'u_sk'))
                 AS street_address,
               g.postal_prefix || lpad(floor(100 * rnd(n.id, 'u_pc'))::BIGINT::VARCHAR, 2, '0')
                 AS postal_code,
               g.city, g.country,
               round(g.lat + 0.2 * (rnd(n.id, 'u_lat') - 0.5), 6) AS latitude,
               round(g.lon + 0.2 * (rnd(n.id, 'u_lon') - 0.5), 6) AS longitude,
               pick(n.traffic, rnd(n.id, 'u_tr')) AS traffic_source, n.created_at
        FROM n JOIN geo g USING (geo_id)
        """
    )
    # Orders: ids follow time; each picks a user who signed up earlier, recent sign-ups favoured.
    con.execute(
        f"""
        CREATE TEMP TABLE o0 AS
        WITH b AS (
          SELECT id AS order_id, (id - 1 + rnd(id, 'o_q')) / {n_orders} AS q
          FROM range(1, {n_orders} + 1) r(id)
        ), t AS (
          SELECT b.order_id, curve_ts(b.q, d.day, d.lo, d.hi) AS created_at
          FROM b ASOF JOIN days d ON b.q >= d.lo
        )
        SELECT t.order_id, t.created_at,
               u0.id - floor(u0.id * pow(rnd(t.order_id, 'o_u'), 3))::BIGINT AS user_id
        FROM t ASOF JOIN u0 ON t.created_at >= u0.created_at
        """
    )
    con.execute(
        f"""
        INSERT INTO {ds}.orders BY NAME
        WITH b AS (
          SELECT o0.*, u.gender, pick(L.items, rnd(o0.order_id, 'o_n')) AS num_of_item,
                 pick(L.status, rnd(o0.order_id, 'o_s')) AS drawn,
                 o0.created_at
                   + to_microseconds((21600e6 + 237600e6 * rnd(o0.order_id, 'o_sh'))::BIGINT) AS ship,
                 to_microseconds((86400e6 + 345600e6 * rnd(o0.order_id, 'o_dl'))::BIGINT) AS to_deliver,
                 to_microseconds((86400e6 + 1123200e6 * rnd(o0.order_id, 'o_rt'))::BIGINT) AS to_return
          FROM o0 JOIN {ds}.users u ON u.id = o0.user_id CROSS JOIN L
        ), t AS (
          SELECT *, ship + to_deliver AS deliver, ship + to_deliver + to_return AS ret FROM b
        ), s AS (
          -- A status whose next step lies after the end date falls back to the step before it.
          SELECT *, CASE
              WHEN drawn = 'Cancelled' THEN 'Cancelled'
              WHEN drawn = 'Processing' OR ship > {end_ts} THEN 'Processing'
              WHEN drawn = 'Shipped' OR deliver > {end_ts} THEN 'Shipped'
              WHEN drawn = 'Complete' OR ret > {end_ts} THEN 'Complete'
              ELSE 'Returned' END AS status
          FROM t
        )
        SELECT order_id, user_id, status, gender, created_at, num_of_item,
               CASE WHEN status = 'Returned' THEN ret END AS returned_at,
               CASE WHEN status IN ('Shipped', 'Complete', 'Returned') THEN ship END AS shipped_at,
               CASE WHEN status IN ('Complete', 'Returned') THEN deliver END AS delivered_at
        FROM s
        """
    )
    # Items: 90% from the customer's own department; popular products drawn more often.
    half = PRODUCTS // 2
    con.execute(
        f"""
        CREATE TEMP TABLE oi0 AS
        WITH x AS (
          SELECT o.*, unnest(range(o.num_of_item)) AS k FROM {ds}.orders o
        ), k AS (
          SELECT row_number() OVER (ORDER BY order_id, k) AS id, * FROM x
        ), p AS (
          SELECT k.*,
                 CASE WHEN (gender = 'F') = (rnd(id, 'i_dep') < 0.9) THEN 1 ELSE 2 END AS parity,
                 floor({half} * pow(rnd(id, 'i_p'), 2.2))::BIGINT AS rank
          FROM k
        )
        SELECT p.id, p.order_id, p.user_id, 2 * ((p.rank * 7919) % {half}) + p.parity AS product_id,
               p.status, p.created_at, p.shipped_at, p.delivered_at, p.returned_at,
               rnd(p.id, 'i_disc') AS disc, rnd(p.id, 'i_disc2') AS disc2
        FROM p
        """
    )
    con.execute(
        f"""
        INSERT INTO {ds}.order_items BY NAME
        SELECT oi0.id, oi0.order_id, oi0.user_id, oi0.product_id, oi0.id AS inventory_item_id,
               oi0.status, oi0.created_at, oi0.shipped_at, oi0.delivered_at, oi0.returned_at,
               round(pr.retail_price * CASE WHEN disc < 0.7 THEN 1.0 ELSE 0.7 + 0.25 * disc2 END, 2)
                 AS sale_price
        FROM oi0 JOIN {ds}.products pr ON pr.id = oi0.product_id
        """
    )
    n_items = con.execute("SELECT count(*) FROM oi0").fetchone()[0]  # type: ignore[index]
    n_unsold = round(n_items * UNSOLD_STOCK_SHARE)
    con.execute(
        f"""
        INSERT INTO {ds}.inventory_items BY NAME
        WITH sold AS (
          SELECT id, product_id, created_at AS sold_at,
                 created_at - to_microseconds((86400e6 + 86400e6 * 120 * rnd(id, 'v_age'))::BIGINT)
                   AS created_at
          FROM oi0
        ), unsold AS (
          SELECT {n_items} + r.id AS id, 1 + floor({PRODUCTS} * rnd(r.id, 'v_p'))::BIGINT AS product_id,
                 NULL::TIMESTAMP AS sold_at, curve_ts(q, d.day, d.lo, d.hi) AS created_at
          FROM (SELECT id, (id - 1 + rnd(id, 'v_q')) / {n_unsold} AS q
                FROM range(1, {n_unsold} + 1) r(id)) r
          ASOF JOIN days d ON r.q >= d.lo
        ), s AS (SELECT * FROM sold UNION ALL SELECT * FROM unsold)
        SELECT s.id, s.product_id, s.created_at, s.sold_at, p.cost, p.category AS product_category,
               p.name AS product_name, p.brand AS product_brand, p.retail_price AS product_retail_price,
               p.department AS product_department, p.sku AS product_sku,
               p.distribution_center_id AS product_distribution_center_id
        FROM s JOIN {ds}.products p ON p.id = s.product_id
        """
    )
    generate_events(con, n_orders=n_orders)


def generate_demo(path: Path, *, scale: float = 1.0, seed: int = 42, end_date: date | None = None) -> Path:
    """Write the demo ``thelook_ecommerce`` DuckDB file at ``path`` (atomically) and return it."""
    if not (0 < scale <= 1000):
        raise BadRequest(f"Demo scale must be in (0, 1000], got {scale}")
    end = end_date or datetime.now(UTC).date()
    if end <= START_DATE:
        raise BadRequest(f"Demo end_date must be after {START_DATE.isoformat()}, got {end.isoformat()}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    n_orders = max(100, round(ORDERS_PER_SCALE * scale))
    n_users = max(50, round(n_orders * USERS_PER_ORDER))
    layout = _layout()
    try:
        with duckdb.connect(str(tmp)) as con:
            _create_tables(con, layout)
            _macros(con, seed)
            _load_lookups(con, seed, end)
            _generate_rows(con, n_orders=n_orders, n_users=n_users, end=end)
            _write_metadata(
                con,
                layout,
                {
                    "generator_version": str(GENERATOR_VERSION),
                    "scale": repr(float(scale)),
                    "seed": str(seed),
                    "start_date": START_DATE.isoformat(),
                    "end_date": end.isoformat(),
                },
            )
            con.execute("CHECKPOINT")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return path


def ensure_demo(path: Path, *, scale: float = 1.0) -> Path:
    """Return ``path``, generating the demo file first if it does not exist yet (any scale is reused)."""
    path = Path(path)
    if path.exists():
        return path
    return generate_demo(path, scale=scale)


def main(argv: list[str] | None = None) -> None:
    """Command line entry: build a demo file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = about 100k order items")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today")
    parser.add_argument("--out", type=Path, default=Path(".bridge/demo.duckdb"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out = generate_demo(args.out, scale=args.scale, seed=args.seed, end_date=args.end_date)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
