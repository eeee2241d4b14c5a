"""The demo warehouse's web events: browsing and purchase sessions walking the shop's funnel.

Runs after :mod:`shared.dev.demo_data` has generated the orders (temporary table ``oi0``) and
the ``macros`` it defines; set-based SQL inside DuckDB, deterministic like the rest.
"""

from __future__ import annotations

import duckdb

from shared.dev.demo_vocabulary import BROWSE_SESSIONS_PER_ORDER, DATASET, PRODUCTS


def generate_events(con: duckdb.DuckDBPyConnection, *, n_orders: int) -> None:
    ds = DATASET
    n_browse = round(n_orders * BROWSE_SESSIONS_PER_ORDER)
    funnel = "['home', 'department', 'product', 'cart']"
    # Purchase sessions end at the order time; browsing sessions stop somewhere in the funnel.
    con.execute(
        f"""
        CREATE TEMP TABLE sessions AS
        WITH first_item AS (
          SELECT order_id, min(product_id) AS product_id FROM oi0 GROUP BY order_id
        ), buy AS (
          SELECT 'o' || o.order_id::VARCHAR AS skey, o.user_id, o.created_at AS anchor,
                 true AS ends_at_anchor,
                 CASE WHEN rnd(o.order_id, 'e_home') < 0.7 THEN {funnel} ELSE {funnel}[2:] END
                   || ['purchase'] || CASE WHEN o.status = 'Cancelled' THEN ['cancel'] ELSE [] END AS steps,
                 f.product_id, u.city, u.state, u.postal_code
          FROM {ds}.orders o JOIN first_item f USING (order_id) JOIN {ds}.users u ON u.id = o.user_id
        ), browse0 AS (
          SELECT r.id, curve_ts(r.q, d.day, d.lo, d.hi) AS anchor
          FROM (SELECT id, (id - 1 + rnd(id, 'b_q')) / {n_browse} AS q FROM range(1, {n_browse} + 1) r(id)) r
          ASOF JOIN days d ON r.q >= d.lo
        ), browse1 AS (
          SELECT b.id, b.anchor, CASE WHEN rnd(b.id, 'b_signed') < 0.4
                 THEN u0.id - floor(u0.id * rnd(b.id, 'b_u'))::BIGINT END AS user_id
          FROM browse0 b ASOF JOIN u0 ON b.anchor >= u0.created_at
        ), browse AS (
          SELECT 'b' || b.id::VARCHAR AS skey, b.user_id, b.anchor, false AS ends_at_anchor,
                 {funnel}[1:[1, 1, 1, 2, 2, 2, 3, 3, 3, 4][1 + floor(10 * rnd(b.id, 'b_len'))::BIGINT]]
                   || CASE WHEN rnd(b.id, 'b_cancel') < 0.03 THEN ['cancel'] ELSE [] END AS steps,
                 1 + floor({PRODUCTS} * rnd(b.id, 'b_p'))::BIGINT AS product_id,
                 coalesce(u.city, g.city) AS city, coalesce(u.state, g.state) AS state,
                 coalesce(u.postal_code, g.postal_prefix || '00') AS postal_code
          FROM browse1 b LEFT JOIN {ds}.users u ON u.id = b.user_id
          CROSS JOIN L JOIN geo g ON g.geo_id = pick(L.geo, rnd(b.id, 'b_geo'))
        )
        SELECT * FROM buy UNION ALL SELECT * FROM browse
        """
    )
    con.execute(
        f"""
        INSERT INTO {ds}.events BY NAME
        WITH s AS (
          SELECT s.*, md5(s.skey) AS h, pick(L.browser, rnd(s.skey, 'e_br')) AS browser,
                 pick(L.traffic, rnd(s.skey, 'e_tr')) AS traffic_source,
                 p.department, p.category
          FROM sessions s CROSS JOIN L JOIN {ds}.products p ON p.id = s.product_id
        ), e AS (
          SELECT s.*, unnest(steps) AS event_type, generate_subscripts(steps, 1) AS seq,
                 30e6 + 240e6 * rnd(skey, 'e_gap') AS gap
          FROM s
        ), t AS (
          SELECT e.*, CASE WHEN ends_at_anchor
                 THEN anchor - to_microseconds(((len(steps) - seq) * gap)::BIGINT)
                 ELSE anchor + to_microseconds(((seq - 1) * gap)::BIGINT)
                 END AS created_at
          FROM e
        )
        SELECT row_number() OVER (ORDER BY created_at, skey, seq) AS id, user_id, seq AS sequence_number,
               substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-'
                 || substr(h, 17, 4) || '-' || substr(h, 21, 12) AS session_id,
               created_at,
               concat_ws('.', 1 + floor(222 * rnd(skey, 'ip1'))::BIGINT,
                         floor(256 * rnd(skey, 'ip2'))::BIGINT, floor(256 * rnd(skey, 'ip3'))::BIGINT,
                         1 + floor(254 * rnd(skey, 'ip4'))::BIGINT)
                 AS ip_address,
               city, state, postal_code, browser, traffic_source,
               CASE event_type
                 WHEN 'home' THEN '/'
                 WHEN 'department' THEN '/department/' || lower(department) || '/category/'
                   || lower(regexp_replace(category, '[^A-Za-z]+', '', 'g'))
                 WHEN 'product' THEN '/product/' || product_id::VARCHAR
                 ELSE '/' || event_type END AS uri,
               event_type
        FROM t
        """
    )
