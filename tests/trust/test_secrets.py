"""Credential-leak scan: after onboarding a BigQuery connection with a known fake key and using it
everywhere (validate, scan, catalog, chat, save, data), the key appears nowhere in plaintext: not in
any DB table, object (decompressed), file, log record, session log, cached result or response body.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from doubles.scripted_model import ScriptedModel
from sqlalchemy import MetaData

from shared.adapters.model.messages import ToolCallEvent
from shared.bootstrap import Container

from .figures import record
from .helpers import GOOD, TIMEOUT, onboard

KEY_ID = "f3b1c2d4e5a6978812345678900aabbccddeeff0"
# Realistic shape, not a usable key: parsing fails before any network call.
KEY_BODY = [
    base64.b64encode(hashlib.sha512(f"bridge-trust-fake-key-{i}".encode()).digest()).decode()[:64]
    for i in range(6)
]
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(KEY_BODY) + "\n-----END PRIVATE KEY-----\n"
CREDENTIALS = {
    "type": "service_account",
    "project_id": "acme-prod-4711",
    "private_key_id": KEY_ID,
    "private_key": PRIVATE_KEY,
    "client_email": "bridge-reader@acme-prod-4711.iam.gserviceaccount.com",
    "client_id": "109876543210987654321",
    "token_uri": "https://oauth2.googleapis.com/token",
}
NEEDLES = [KEY_ID, *KEY_BODY]


class Responses:
    """A requests session that keeps every response body it receives."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.bodies: list[tuple[str, bytes]] = []
        self.session.hooks["response"].append(self._keep)

    def _keep(self, r: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.bodies.append((f"{r.request.method} {r.request.path_url} -> {r.status_code}", r.content))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def _leaks(where: str, data: bytes) -> list[str]:
    texts = [data]
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError):
            texts.append(gzip.decompress(data))
    return [f"{where}: {n[:12]}..." for n in NEEDLES for t in texts if n.encode() in t]


def _db_rows(c: Container) -> Iterator[tuple[str, bytes]]:
    md = MetaData()
    md.reflect(c.db.engine)
    with c.db.engine.connect() as conn:
        for table in md.sorted_tables:
            for row in conn.execute(table.select()):
                yield f"table {table.name}", repr(tuple(row)).encode()


def _objects(c: Container) -> Iterator[tuple[str, bytes]]:
    for kind in ("dashboards", "cache", "sessions", "secrets"):
        store = c.store(kind)
        for info in store.list(""):
            yield f"object {kind}/{info.path}", store.get(info.path).data


def _files(c: Container) -> Iterator[tuple[str, bytes]]:
    for f in c.settings.data_dir.rglob("*"):
        if f.is_file() and f.suffix not in (".duckdb", ".wal"):
            yield f"file {f.relative_to(c.settings.data_dir)}", f.read_bytes()


def test_the_key_never_appears_in_plaintext(
    dev_server: Any, token: Any, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    web = Responses()
    url = dev_server.url
    # a duckdb team gives the cache and dashboards buckets real content to scan
    own = onboard(dev_server, token, "dana@d.example", "Team D")
    saved = web.put(
        f"{url}/v1/teams/{own.team_id}/dashboards/rev",
        data=GOOD.encode(),
        headers={**own.headers, "Content-Type": "application/yaml"},
        params={"connection_id": own.connection_id},
        timeout=TIMEOUT,
    )
    assert saved.status_code == 201, saved.text
    assert web.get(
        f"{url}/v1/teams/{own.team_id}/dashboards/rev/data", headers=own.headers, timeout=TIMEOUT
    ).ok

    h = own.headers
    created = web.post(
        f"{url}/v1/teams/{own.team_id}/connections",
        json={"name": "bq", "warehouse_type": "bigquery", "credentials": CREDENTIALS},
        headers=h,
        timeout=TIMEOUT,
    )
    assert created.status_code == 201, created.text
    bq = created.json()["id"]
    web.get(f"{url}/v1/teams/{own.team_id}/connections", headers=h, timeout=TIMEOUT)
    web.post(f"{url}/v1/connections/{bq}/validate", headers=h, timeout=TIMEOUT)
    web.post(f"{url}/v1/connections/{bq}/scan", headers=h, timeout=TIMEOUT)
    web.get(f"{url}/v1/connections/{bq}/catalog", headers=h, timeout=TIMEOUT)
    web.put(
        f"{url}/v1/teams/{own.team_id}/dashboards/bq-rev",
        data=GOOD.encode(),
        headers={**h, "Content-Type": "application/yaml"},
        params={"connection_id": bq},
        timeout=TIMEOUT,
    )
    # the agent on the BigQuery connection: every tool reaches for the credentials
    container.install_model(
        ScriptedModel(
            [
                [
                    ToolCallEvent("c1", "list_datasets", {}),
                    ToolCallEvent("c2", "run_dry_run_query", {"sql": "SELECT 1 AS x"}),
                    ToolCallEvent("c3", "get_column_values", {"table": "x.y.z", "column": "a"}),
                ],
                ["Done."],
            ]
            * 5,
            by_history=True,
        )
    )
    session = web.post(
        f"{url}/v1/chat/sessions",
        json={"team_id": own.team_id, "connection_id": bq},
        headers=h,
        timeout=TIMEOUT,
    )
    assert session.status_code == 201, session.text
    sid = session.json()["id"]
    streamed = web.post(
        f"{url}/v1/chat/sessions/{sid}/messages", json={"content": "revenue please"}, headers=h, timeout=60
    )
    assert "event: done" in streamed.text
    web.get(f"{url}/v1/chat/sessions/{sid}", headers=h, timeout=TIMEOUT)
    web.get(f"{url}/v1/chat/sessions/{sid}/events", params={"wait": "0"}, headers=h, timeout=TIMEOUT)
    for page in ("/", "/config.json", f"/d/{own.team_id}/bq-rev", "/static/app.js"):  # the web app
        web.get(f"{url}{page}", timeout=TIMEOUT)
    web.get(f"{url}/v1/teams", headers=h, timeout=TIMEOUT)
    web.get(f"{url}/v1/teams/{own.team_id}/dashboards", headers=h, timeout=TIMEOUT)

    places: list[tuple[str, bytes]] = [
        *_db_rows(container),
        *_objects(container),
        *_files(container),
        *web.bodies,
        *((f"log {r.name}", r.getMessage().encode() + (r.exc_text or "").encode()) for r in caplog.records),
    ]
    leaks = [leak for where, data in places for leak in _leaks(where, data)]
    record("secrets", tried=len(places), errors=len(leaks))
    assert leaks == []
    # the scan saw real content: the session log, a cached result and the encrypted key are there
    kinds = {where.split("/")[0] for where, _ in places if where.startswith("object ")}
    assert {"object sessions", "object cache", "object secrets", "object dashboards"} <= kinds
    from shared.adapters.keys.port import connection_aad
    from shared.services.connections import secret_path

    envelope = container.store("secrets").get(secret_path(own.team_id, bq)).data
    assert _leaks("control", container.key_manager.decrypt(envelope, aad=connection_aad(own.team_id, bq)))
