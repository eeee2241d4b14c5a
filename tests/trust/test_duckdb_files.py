"""Local DuckDB files: only from the configured roots, one answer for every refusal, no lasting lock.

Finding 1 of the second red-team round: a connection path was used as given (another team's file
by ``..``, the directory DB, an existence oracle in the error text), extensions could auto-install,
ATTACH ran before external access was switched off, and the attached file stayed locked.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testkit import make_container

from shared.adapters.identity.port import Principal
from shared.adapters.warehouse.duckdb_adapter import DuckDBWarehouse
from shared.adapters.warehouse.duckdb_files import UNAVAILABLE
from shared.bootstrap import Container
from shared.errors import ValidationFailed, WarehouseError
from shared.services import connections, teams

from .figures import record, scaled

MALLORY = Principal("mallory@m.example", "mallory@m.example")


def make_file(path: Path, value: int = 42) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"CREATE SCHEMA sales; CREATE TABLE sales.secret AS SELECT {value} AS pay")
    con.close()
    return path


@pytest.fixture
def env(tmp_path: Path, demo_warehouse: Path) -> Iterator[Container]:
    c = make_container(tmp_path / "data", f"sqlite:///{tmp_path / 'dir.db'}", demo_warehouse)
    yield c
    c.db.engine.dispose()


def register(c: Container, path: str, project: str = "p") -> str:
    """Mallory's own team registers ``path``; the outcome of validation (status, error)."""
    with c.db.session() as s:
        team = teams.create_team(s, MALLORY, "Mallory")
        body = {"name": "w", "warehouse_type": "duckdb", "path": path, "project": project}
        conn = connections.create_connection(c, s, MALLORY, team.id, body)
        connections.validate_connection(c, s, conn)
        return f"{conn.status}:{conn.last_error}"


def refused(c: Container, path: str) -> bool:
    """True when ``path`` is refused with the one message, at registration or on open."""
    try:
        outcome = register(c, path)
    except ValidationFailed as error:
        assert error.message == UNAVAILABLE
        return True
    if outcome.startswith("invalid:"):
        assert outcome == f"invalid:{UNAVAILABLE}", outcome
        return True
    assert outcome == "valid:None", outcome
    return False


def test_files_outside_the_roots_are_refused_with_one_message(env: Container, tmp_path: Path) -> None:
    root = env.settings.duckdb_root_paths[0]
    alice = make_file(tmp_path / "files" / "alice_private.duckdb")
    mine = make_file(root / "mine.duckdb")
    (root / "link.duckdb").symlink_to(alice)
    (root / "dirlink").symlink_to(alice.parent, target_is_directory=True)
    sqlite3.connect(root / "sqlite.db").close()  # a SQLite file: DuckDB would want its extension
    (root / "text.duckdb").write_text("not a database")
    cases = {
        str(alice): True,
        f"{tmp_path}/files/../files/alice_private.duckdb": True,
        f"{root}/../../files/alice_private.duckdb": True,
        str(root / "link.duckdb"): True,
        str(root / "dirlink" / "alice_private.duckdb"): True,
        str(env.settings.data_dir / "bridge.db"): True,
        str(env.settings.data_dir.parent / "dir.db"): True,
        str(root / "missing.duckdb"): True,
        str(root / "sqlite.db"): True,
        str(root / "text.duckdb"): True,
        str(root): True,
        "/etc/passwd": True,
        f"{root}/mine\x00.duckdb": True,
        "x" * 5000: True,
        str(mine): False,
        f"{root}/./sub/../mine.duckdb": False,
        str(env.settings.demo_warehouse_path): False,
    }
    outcomes = {path: refused(env, path) for path in cases}
    assert outcomes == cases
    record("duckdb files", tried=len(cases), rejected=sum(outcomes.values()))


def test_roots_above_the_data_folder_never_open_bridges_own_files(
    tmp_path: Path, demo_warehouse: Path
) -> None:
    c = make_container(
        tmp_path / "data", f"sqlite:///{tmp_path / 'dir.db'}", demo_warehouse, duckdb_roots=str(tmp_path)
    )
    try:
        keys = c.settings.data_dir / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        make_file(keys / "planted.duckdb")  # even a real DuckDB file inside the data folder
        ok = make_file(tmp_path / "ok.duckdb")
        assert refused(c, str(keys / "planted.duckdb"))
        assert not refused(c, str(ok))
        assert not refused(c, str(c.settings.demo_warehouse_path))
    finally:
        c.db.engine.dispose()


SEGMENTS = st.sampled_from(
    ["..", ".", "sub", "mine.duckdb", "link", "alice.duckdb", "data", "warehouses", ""]
)


@settings(max_examples=scaled(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SEGMENTS, min_size=1, max_size=6), st.booleans())
def test_generated_paths_open_only_files_inside_a_root(
    env: Container, parts: list[str], from_root: bool
) -> None:
    root = env.settings.duckdb_root_paths[0]
    outside = env.settings.data_dir.parent / "outside"
    if not (root / "mine.duckdb").exists():
        make_file(root / "mine.duckdb")
        make_file(root / "sub" / "mine.duckdb")
        make_file(outside / "alice.duckdb")
        (root / "link").symlink_to(outside, target_is_directory=True)
    base = root if from_root else env.settings.data_dir
    path = os.path.join(str(base), *parts)
    policy = connections.duckdb_policy(env)
    resolved = policy.resolve(path)
    if resolved is not None:
        real = Path(os.path.realpath(path))
        assert resolved == real
        assert real.is_relative_to(root.resolve()) or real == env.settings.demo_warehouse_path.resolve()
        assert not real.is_relative_to(outside.resolve())


def test_extensions_are_off_and_external_access_is_off(env: Container) -> None:
    wh = DuckDBWarehouse(env.settings.demo_warehouse_path)
    wh.validate()
    with wh._cursor() as call:
        settings_now = dict(
            call.run(
                "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions',"
                " 'autoload_known_extensions', 'enable_external_access', 'lock_configuration')"
            ).fetchall()
        )
        for sql in ("INSTALL sqlite", "LOAD sqlite", "SELECT * FROM read_csv('/etc/hostname')"):
            with pytest.raises(duckdb.Error):
                call.run(sql)
    assert settings_now == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "enable_external_access": "false",
        "lock_configuration": "true",
    }


def test_an_open_file_stays_writable_by_its_owner(env: Container) -> None:
    path = make_file(env.settings.duckdb_root_paths[0] / "own.duckdb", value=1)
    wh = DuckDBWarehouse(path, project="own", allow=connections.duckdb_policy(env).resolve)
    assert wh.scan_catalog()[0].tables[0].row_count == 1
    owner = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import duckdb; duckdb.connect({str(path)!r}).execute('INSERT INTO sales.secret VALUES (2)')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert owner.returncode == 0, owner.stderr  # no lock held by Bridge blocks the owner's write
    from shared.adapters.warehouse.port import QueryOptions

    result = wh.query("SELECT COUNT(*) AS n FROM own.sales.secret", (), QueryOptions(max_bytes_billed=10**9))
    assert result.rows == [(2,)]  # the rewrite is seen: a fresh snapshot
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("bridge-duckdb-*"))


def test_a_warehouse_path_swapped_for_a_symlink_is_refused_on_open(env: Container, tmp_path: Path) -> None:
    root = env.settings.duckdb_root_paths[0]
    path = make_file(root / "swap.duckdb")
    wh = DuckDBWarehouse(path, project="s", allow=connections.duckdb_policy(env).resolve)
    wh.validate()
    path.unlink()
    path.symlink_to(make_file(tmp_path / "elsewhere" / "secret.duckdb", value=7))
    with pytest.raises(WarehouseError, match="DuckDB file is not available"):
        wh.validate()
