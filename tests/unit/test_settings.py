"""Typed settings: local defaults need nothing, BRIDGE_* variables override, bad values fail clearly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from shared.settings import Settings


def test_local_defaults_pick_embedded_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in __import__("os").environ if k.startswith("BRIDGE_")]:
        monkeypatch.delenv(key)
    s = Settings()
    assert (s.object_store, s.key_manager, s.task_queue, s.identity, s.model) == (
        "local",
        "local",
        "inprocess",
        "local",
        "offline",
    )
    assert s.database_url == f"sqlite:///{Path('.bridge') / 'bridge.db'}"
    assert s.default_byte_cap == 100_000_000


def test_gcp_switches_every_port_and_each_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_CLOUD", "gcp")
    monkeypatch.setenv("BRIDGE_KEY_MANAGER", "local")
    monkeypatch.setenv("BRIDGE_CLOUDSQL_INSTANCE", "p:r:i")
    s = Settings()
    assert (s.object_store, s.task_queue, s.identity) == ("gcs", "cloudtasks", "google")
    assert s.key_manager == "local"
    assert s.model.startswith("gemini-")
    assert s.database_url == ""  # the Cloud SQL connector is used instead


def test_env_values_are_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_DEFAULT_BYTE_CAP", "5000000")
    monkeypatch.setenv("BRIDGE_DB_IAM_AUTH", "false")
    s = Settings()
    assert s.default_byte_cap == 5_000_000 and s.db_iam_auth is False
    assert s.bucket("dashboards") == "bridge-dashboards"


@pytest.mark.parametrize(
    ("key", "value"),
    [("BRIDGE_CLOUD", "aws"), ("BRIDGE_DEFAULT_BYTE_CAP", "lots"), ("BRIDGE_OBJECT_STORE", "s3")],
)
def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValueError) as info:
        Settings()
    assert key.removeprefix("BRIDGE_").lower() in str(info.value)


def test_settings_are_immutable() -> None:
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.row_limit = 5  # type: ignore[misc]
