"""Typed settings, read once from ``BRIDGE_*`` environment variables.

Every default works on a laptop with nothing installed: SQLite, a folder as object store,
DuckDB with the demo dataset, a local key file, an in-process task queue and the offline
planner. ``BRIDGE_CLOUD=gcp`` switches every port's default to its Google Cloud adapter; each
port can still be chosen on its own (``BRIDGE_OBJECT_STORE=gcs`` ...).
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

MB = 1_000_000
DEFAULT_GEMINI_MODEL = "gemini-3.5-flash"  # Vertex AI latest stable (docs/deploy.md lists the others)
# The local demo (shared/dev/seed.py seeds it; the local sign-in page names its owner).
DEMO_EMAIL = "demo@bridge.local"
DEMO_TEAM = "Demo team"
ENV_PREFIX = "BRIDGE_"


@dataclass(frozen=True)
class Secret:
    """A secret setting: its repr and str never show it."""

    value: str = dataclasses.field(repr=False)

    def get_secret_value(self) -> str:
        return self.value

    def __str__(self) -> str:
        return "**********" if self.value else ""


def setting(default: Any, *, doc: str = "", ge: int | None = None, le: int | None = None) -> Any:
    """A setting's default, what it is for (``doc``) and its bounds (integers)."""
    return field(default=default, metadata={"doc": doc, "ge": ge, "le": le})


@dataclass(frozen=True, init=False)
class Settings:
    """All of Bridge's configuration, from ``BRIDGE_*`` variables. Build with :func:`get_settings`.

    A frozen dataclass (the standard library only: a cold instance pays no validation library
    to read its configuration). Each value is typed as declared; a bad one raises ``ValueError``
    naming the setting.
    """

    cloud: Literal["local", "gcp"] = setting("local", doc="Picks every adapter's default.")
    data_dir: Path = setting(Path(".bridge"), doc="Local state: SQLite, objects, keys, demo DuckDB.")
    public_url: str = setting("http://127.0.0.1:8080", doc="Base URL for preview links.")

    # Directory database
    database_url: str = setting("", doc="SQLAlchemy URL; default a SQLite file in data_dir.")
    cloudsql_instance: str = setting("", doc="project:region:instance; uses the Cloud SQL connector.")
    cloudsql_admin_url: str = setting(
        "https://sqladmin.googleapis.com",
        doc="Cloud SQL Admin API the connector gets the instance's address and certificates from.",
    )
    db_user: str = "bridge"
    db_name: str = "bridge"
    db_iam_auth: bool = True
    db_pool_size: int = setting(2, doc="Per instance; see README for the connection budget.")
    db_max_overflow: int = 2

    # Ports: "" means the default for ``cloud``.
    object_store: Literal["", "local", "gcs"] = ""
    key_manager: Literal["", "local", "kms"] = ""
    task_queue: Literal["", "inprocess", "cloudtasks"] = ""
    task_workers: int = setting(
        0,
        ge=0,
        le=64,
        doc="In-process task worker threads; 0 = 2 per CPU (2 to 8).",
    )
    task_processes: int = setting(
        0,
        ge=0,
        le=16,
        doc="In-process queue only: run tasks in this many child processes (one per worker, each"
        " with its own container) instead of threads sharing this one; 0 = threads.",
    )
    identity: Literal["", "local", "google"] = ""
    model: str = setting(
        "", doc="'offline', a Gemini model id (gemini-3.5-flash), 'openai:<id>' or 'anthropic:<id>'."
    )

    # Model providers (secrets: from the environment or, on Google Cloud, Secret Manager mounted as env)
    openai_base_url: str = setting("https://api.openai.com/v1", doc="Any OpenAI-compatible server.")
    openai_api_key: Secret = setting(Secret(""), doc="Optional for local servers (Ollama ...).")
    anthropic_base_url: str = "https://api.anthropic.com"
    anthropic_api_key: Secret = Secret("")
    gemini_api_key: Secret = setting(Secret(""), doc="Google AI Studio key; empty = Vertex AI.")
    model_max_retries: int = setting(2, ge=0, le=6, doc="SDK retries on 429/5xx per model call.")

    # Google Cloud
    gcp_project: str = ""
    gcp_region: str = "europe-west1"
    model_region: str = "europe-west1"
    bucket_dashboards: str = setting("bridge-dashboards", doc="Dashboard YAML (versioned).")
    bucket_cache: str = setting("bridge-cache", doc="Cached query results (lifecycle expiry).")
    bucket_sessions: str = setting("bridge-sessions", doc="Chat transcripts (session logs).")
    bucket_secrets: str = setting("bridge-secrets", doc="Encrypted connection credentials.")
    kms_key: str = setting("", doc="projects/.../locations/.../keyRings/.../cryptoKeys/...")
    tasks_queue: str = setting("", doc="projects/.../locations/.../queues/...")
    tasks_target_url: str = setting("", doc="Base URL of the functions that receive tasks.")
    tasks_service_account: str = setting("", doc="Email used for the tasks' OIDC token.")
    requires_authentication: bool = setting(
        False,
        doc="This function's service admits only authenticated callers (no allUsers invoker):"
        " Cloud Run checked each token's signature before the request arrived (set by Terraform).",
    )
    connector_prefix: str = setting(
        "bridge", doc="Prefix of the per-team reader accounts of keyless BigQuery connections."
    )
    auth_audience: str = setting("", doc="Expected audience of Google ID tokens (project id).")
    identity_api_key: str = setting(
        "", doc="Identity Platform web API key (public; used by the sign-in page)."
    )
    identity_toolkit_url: str = setting(
        "https://identitytoolkit.googleapis.com", doc="Identity Platform REST API."
    )
    auth_emulator_host: str = setting(
        "", doc="host:port of a Firebase Auth emulator (tests, local); its tokens are unsigned."
    )
    securetoken_url: str = setting("https://securetoken.googleapis.com", doc="Token refresh REST API.")

    # Local identity
    auth_secret: str = setting("", doc="HMAC secret for local dev tokens; default a file in data_dir.")

    # Guardrails
    default_byte_cap: int = setting(100 * MB, doc="maximum_bytes_billed when the team sets none.")
    row_limit: int = setting(10_000, doc="Rows returned per query at most.")
    cache_ttl_seconds: int = setting(3600, doc="Result cache time-to-live when the YAML sets none.")
    result_cache_memory_bytes: int = setting(
        256 * MB, doc="Query results kept in memory per instance, in bytes (as JSON)."
    )
    result_cache_store_bytes: int = setting(
        1000 * MB, doc="Cache objects one instance keeps in the cache bucket, in bytes (gzip)."
    )
    response_cache_bytes: int = setting(64 * MB, doc="Serialized data responses kept per instance, in bytes.")
    max_body_bytes: int = setting(1_000_000, doc="Largest request body accepted.")

    # Local warehouses (DuckDB)
    demo_scale: float = setting(1.0, doc="1.0 = about 100k order items.")
    duckdb_roots: str = setting(
        "",
        doc="Folders users' DuckDB files may come from, os.pathsep-separated; default data_dir/warehouses.",
    )
    duckdb_memory_limit_mb: int = setting(1024, doc="DuckDB memory_limit per local warehouse.")
    warehouse_timeout_s: float = setting(60.0, doc="Deadline of one warehouse call (dry run or query).")
    warehouse_pool_size: int = setting(
        16,
        ge=1,
        doc="Warehouse adapters (one per connection) kept per instance, least recently used dropped.",
    )
    catalog_sample_values: bool = setting(
        True,
        doc="A catalog scan keeps up to 10 frequent short values of categorical text columns"
        " (search finds tables by them); billed under the team's byte cap.",
    )
    catalog_sample_timeout_s: float = setting(30.0, doc="Deadline of a scan's sampling of values.")

    def __init__(self, **values: Any) -> None:
        """Each setting from ``values``, else its ``BRIDGE_*`` variable (any case), else its default."""
        unknown = set(values) - set(_FIELDS)
        if unknown:
            raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
        env = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
        for name, f in _FIELDS.items():
            key = ENV_PREFIX + name.upper()
            if name in values:
                value = values[name]
            elif key in env:
                value = env[key]
            elif f.default is not MISSING:
                value = f.default
            else:  # pragma: no cover - every setting has a default
                raise TypeError(f"{name} is required")
            object.__setattr__(self, name, _coerce(name, _TYPES[name], value, f.metadata))
        self._resolve()

    def _resolve(self) -> None:
        gcp = self.cloud == "gcp"
        defaults = {
            "object_store": "gcs" if gcp else "local",
            "key_manager": "kms" if gcp else "local",
            "task_queue": "cloudtasks" if gcp else "inprocess",
            "identity": "google" if gcp else "local",
            "model": DEFAULT_GEMINI_MODEL if gcp else "offline",
        }
        for name, value in defaults.items():
            if not getattr(self, name):
                object.__setattr__(self, name, value)
        if self.auth_emulator_host and gcp:
            raise ValueError(
                "BRIDGE_AUTH_EMULATOR_HOST accepts unsigned tokens and is refused on Google Cloud"
            )
        if not self.database_url and not self.cloudsql_instance:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'bridge.db'}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (checked like any other value)."""
        return dataclasses.replace(self, **changes)

    def bucket(self, kind: str) -> str:
        """The bucket holding objects of ``kind`` (dashboards, cache, sessions, secrets)."""
        return str(getattr(self, f"bucket_{kind}"))

    @property
    def demo_warehouse_path(self) -> Path:
        return self.data_dir / "demo.duckdb"

    @property
    def duckdb_root_paths(self) -> tuple[Path, ...]:
        """The folders of ``duckdb_roots``; the default is a folder for the user's own files."""
        roots = tuple(Path(part).expanduser() for part in self.duckdb_roots.split(os.pathsep) if part.strip())
        return roots or (self.data_dir / "warehouses",)


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_TYPES = typing.get_type_hints(Settings)
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _coerce(name: str, kind: Any, value: Any, meta: Mapping[str, Any]) -> Any:
    """``value`` (typed, or text from the environment) as the setting's type; ValueError naming it."""
    try:
        if typing.get_origin(kind) is Literal:
            if value not in typing.get_args(kind):
                raise ValueError(f"expected one of {', '.join(repr(a) for a in typing.get_args(kind))}")
            return value
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in _TRUE | _FALSE:
                raise ValueError("expected a boolean")
            return text in _TRUE
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError("expected an integer")
            number = int(value)
            low, high = meta.get("ge"), meta.get("le")
            if (low is not None and number < low) or (high is not None and number > high):
                raise ValueError(f"expected an integer from {low} to {high}")
            return number
        if kind is float:
            return float(value)
        if kind is Path:
            return Path(value)
        if kind is Secret:
            return value if isinstance(value, Secret) else Secret(str(value))
        if not isinstance(value, str):
            raise ValueError("expected text")
        return value
    except (TypeError, ValueError) as err:
        raise ValueError(f"setting {name} (BRIDGE_{name.upper()}): {err}: {value!r}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
