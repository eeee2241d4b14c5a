"""Typed settings, read once from ``BRIDGE_*`` environment variables.

Every default works on a laptop with nothing installed: SQLite, a folder as object store,
DuckDB with the demo dataset, a local key file, an in-process task queue and the offline
planner. ``BRIDGE_CLOUD=gcp`` switches every port's default to its Google Cloud adapter; each
port can still be chosen on its own (``BRIDGE_OBJECT_STORE=gcs`` ...).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1_000_000
DEFAULT_GEMINI_MODEL = "gemini-3.5-flash"  # Vertex AI latest stable (docs/deploy.md lists the others)
# The local demo (shared/dev/seed.py seeds it; the local sign-in page names its owner).
DEMO_EMAIL = "demo@bridge.local"
DEMO_TEAM = "Demo team"


class Settings(BaseSettings):
    """All of Bridge's configuration. Build with :func:`get_settings`."""

    model_config = SettingsConfigDict(env_prefix="BRIDGE_", frozen=True, extra="ignore")

    cloud: Literal["local", "gcp"] = Field("local", description="Picks every adapter's default.")
    data_dir: Path = Field(Path(".bridge"), description="Local state: SQLite, objects, keys, demo DuckDB.")
    public_url: str = Field("http://127.0.0.1:8080", description="Base URL for preview links.")

    # Directory database
    database_url: str = Field("", description="SQLAlchemy URL; default a SQLite file in data_dir.")
    cloudsql_instance: str = Field("", description="project:region:instance; uses the Cloud SQL connector.")
    db_user: str = "bridge"
    db_name: str = "bridge"
    db_iam_auth: bool = True
    db_pool_size: int = Field(2, description="Per instance; see README for the connection budget.")
    db_max_overflow: int = 2

    # Ports: "" means the default for ``cloud``.
    object_store: Literal["", "local", "gcs"] = ""
    key_manager: Literal["", "local", "kms"] = ""
    task_queue: Literal["", "inprocess", "cloudtasks"] = ""
    task_workers: int = Field(
        0,
        ge=0,
        le=64,
        description="In-process task worker threads; 0 = 2 on SQLite, else 2 per CPU (2 to 8).",
    )
    identity: Literal["", "local", "google"] = ""
    model: str = Field(
        "", description="'offline', a Gemini model id (gemini-3.5-flash), 'openai:<id>' or 'anthropic:<id>'."
    )

    # Model providers (secrets: from the environment or, on Google Cloud, Secret Manager mounted as env)
    openai_base_url: str = Field("https://api.openai.com/v1", description="Any OpenAI-compatible server.")
    openai_api_key: SecretStr = Field(SecretStr(""), description="Optional for local servers (Ollama ...).")
    anthropic_base_url: str = "https://api.anthropic.com"
    anthropic_api_key: SecretStr = SecretStr("")
    gemini_api_key: SecretStr = Field(SecretStr(""), description="Google AI Studio key; empty = Vertex AI.")
    model_max_retries: int = Field(2, ge=0, le=6, description="SDK retries on 429/5xx per model call.")

    # Google Cloud
    gcp_project: str = ""
    gcp_region: str = "europe-west1"
    model_region: str = "europe-west1"
    bucket_dashboards: str = Field("bridge-dashboards", description="Dashboard YAML (versioned).")
    bucket_cache: str = Field("bridge-cache", description="Cached query results (lifecycle expiry).")
    bucket_sessions: str = Field("bridge-sessions", description="Chat transcripts (session logs).")
    bucket_secrets: str = Field("bridge-secrets", description="Encrypted connection credentials.")
    kms_key: str = Field("", description="projects/.../locations/.../keyRings/.../cryptoKeys/...")
    tasks_queue: str = Field("", description="projects/.../locations/.../queues/...")
    tasks_target_url: str = Field("", description="Base URL of the functions that receive tasks.")
    tasks_service_account: str = Field("", description="Email used for the tasks' OIDC token.")
    requires_authentication: bool = Field(
        False,
        description="This function's service admits only authenticated callers (no allUsers invoker):"
        " Cloud Run checked each token's signature before the request arrived (set by Terraform).",
    )
    connector_prefix: str = Field(
        "bridge", description="Prefix of the per-team reader accounts of keyless BigQuery connections."
    )
    auth_audience: str = Field("", description="Expected audience of Google ID tokens (project id).")
    identity_api_key: str = Field(
        "", description="Identity Platform web API key (public; used by the sign-in page)."
    )
    identity_toolkit_url: str = Field(
        "https://identitytoolkit.googleapis.com", description="Identity Platform REST API."
    )
    auth_emulator_host: str = Field(
        "", description="host:port of a Firebase Auth emulator (tests, local); its tokens are unsigned."
    )
    securetoken_url: str = Field("https://securetoken.googleapis.com", description="Token refresh REST API.")

    # Local identity
    auth_secret: str = Field("", description="HMAC secret for local dev tokens; default a file in data_dir.")

    # Guardrails
    default_byte_cap: int = Field(100 * MB, description="maximum_bytes_billed when the team sets none.")
    row_limit: int = Field(10_000, description="Rows returned per query at most.")
    cache_ttl_seconds: int = Field(3600, description="Result cache time-to-live when the YAML sets none.")
    result_cache_memory_bytes: int = Field(
        256 * MB, description="Query results kept in memory per instance, in bytes (as JSON)."
    )
    result_cache_store_bytes: int = Field(
        1000 * MB, description="Cache objects one instance keeps in the cache bucket, in bytes (gzip)."
    )
    response_cache_bytes: int = Field(
        64 * MB, description="Serialized data responses kept per instance, in bytes."
    )
    max_body_bytes: int = Field(1_000_000, description="Largest request body accepted.")

    # Local warehouses (DuckDB)
    demo_scale: float = Field(1.0, description="1.0 = about 100k order items.")
    duckdb_roots: str = Field(
        "",
        description="Folders users' DuckDB files may come from, os.pathsep-separated; default data_dir/warehouses.",
    )
    duckdb_memory_limit_mb: int = Field(1024, description="DuckDB memory_limit per local warehouse.")
    warehouse_timeout_s: float = Field(60.0, description="Deadline of one warehouse call (dry run or query).")
    catalog_sample_values: bool = Field(
        True,
        description="A catalog scan keeps up to 10 frequent short values of categorical text columns"
        " (search finds tables by them); billed under the team's byte cap.",
    )
    catalog_sample_timeout_s: float = Field(30.0, description="Deadline of a scan's sampling of values.")

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
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
        return self

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
