"""The composition root: builds every adapter from settings, lazily, once per instance.

Nothing here runs at import time. Each property imports its adapter's module on first use, so a
function that never touches BigQuery never imports google-cloud-bigquery (cold starts).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shared.settings import Settings, get_settings

if TYPE_CHECKING:
    from shared.adapters.identity.port import Identity
    from shared.adapters.keys.port import KeyManager
    from shared.adapters.objectstore.port import ObjectStore
    from shared.adapters.tasks.port import TaskQueue
    from shared.db.engine import Database


class Container:
    """Holds the adapters of one process. Tests build their own with their own settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self.extras: dict[str, Any] = {}
        self._stores: dict[str, ObjectStore] = {}

    @cached_property
    def db(self) -> Database:
        from shared.db.engine import Database, make_engine

        return Database(make_engine(self.settings))

    def store(self, kind: str) -> ObjectStore:
        """The object store of one kind: dashboards, cache, sessions or secrets."""
        with self._lock:
            if kind not in self._stores:
                self._stores[kind] = self._make_store(self.settings.bucket(kind))
            return self._stores[kind]

    def _make_store(self, bucket: str) -> ObjectStore:
        s = self.settings
        if s.object_store == "gcs":
            from shared.adapters.objectstore.gcs import GcsObjectStore

            return GcsObjectStore(bucket, project=s.gcp_project or None)
        from shared.adapters.objectstore.local import LocalObjectStore

        return LocalObjectStore(s.data_dir / "objects" / bucket, bucket=bucket)

    @cached_property
    def key_manager(self) -> KeyManager:
        s = self.settings
        if s.key_manager == "kms":
            from shared.adapters.keys.kms import KmsKeyManager

            return KmsKeyManager(s.kms_key)
        from shared.adapters.keys.local import LocalKeyManager

        return LocalKeyManager(s.data_dir / "keys" / "local.key")

    @cached_property
    def task_queue(self) -> TaskQueue:
        s = self.settings
        if s.task_queue == "cloudtasks":
            from shared.adapters.tasks.cloudtasks import CloudTasksQueue

            return CloudTasksQueue(
                s.tasks_queue, target_url=s.tasks_target_url, service_account=s.tasks_service_account
            )
        from shared.adapters.tasks.inprocess import InProcessTaskQueue

        queue = InProcessTaskQueue()
        from shared.entry.task_handlers import register_all

        register_all(queue)
        return queue

    @cached_property
    def identity(self) -> Identity:
        from shared.adapters.identity.cache import CachingIdentity

        s = self.settings
        if s.identity == "google":
            from shared.adapters.identity.google import GoogleIdentity

            return CachingIdentity(GoogleIdentity(s.auth_audience or s.gcp_project))
        return CachingIdentity(self.local_identity)

    @cached_property
    def local_identity(self) -> Any:
        from shared.adapters.identity.local import LocalIdentity, load_or_create_secret

        secret = self.settings.auth_secret or load_or_create_secret(
            self.settings.data_dir / "keys" / "auth.secret"
        )
        return LocalIdentity(secret)

    def extra(self, key: str, factory: Any) -> Any:
        """A per-instance singleton owned by a service (created once, thread-safely)."""
        with self._lock:
            if key not in self.extras:
                self.extras[key] = factory()
            return self.extras[key]


_container: Container | None = None
_container_lock = threading.Lock()


def get_container() -> Container:
    """The process-wide container, built on first use."""
    global _container
    if _container is None:
        with _container_lock:
            if _container is None:
                _container = Container(get_settings())
    return _container


def set_container(container: Container | None) -> None:
    """Install a container (tests, the dev server)."""
    global _container
    _container = container
