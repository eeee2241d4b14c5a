"""The composition root: settings → ports → services, built lazily, once per instance.

Nothing here runs at import time. Each property imports its adapter's module on first use, so a
function that never touches BigQuery never imports google-cloud-bigquery (cold starts). Services,
agent tools and model adapters never import this module: they receive the container (typed as
:class:`shared.ports.Ports` or a narrower protocol) from the entry point that called them.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from shared.ports import WarehousePool
from shared.settings import Settings, get_settings

if TYPE_CHECKING:
    from shared.adapters.directory.port import HitReads
    from shared.adapters.identity.local import LocalIdentity
    from shared.adapters.identity.port import Identity
    from shared.adapters.keys.port import KeyManager
    from shared.adapters.model.port import ChatModel
    from shared.adapters.objectstore.port import ObjectStore
    from shared.adapters.tasks.port import TaskQueue
    from shared.agent.prompts import PromptBlock
    from shared.agent.tools import ToolRegistry
    from shared.db.engine import Database
    from shared.services.serving import DataService
    from shared.services.serving.cold_hit import ColdHits


class Container:
    """The adapters and per-instance singletons of one process. Tests build their own."""

    def __init__(self, settings: Settings, *, task_queue: TaskQueue | None = None) -> None:
        """``task_queue`` replaces the one the settings choose (a task process's queue is its parent's)."""
        self.settings = settings
        if task_queue is not None:
            self.__dict__["task_queue"] = task_queue  # what the cached property would have built
        self._lock = threading.RLock()
        self._stores: dict[str, ObjectStore] = {}
        self._models: dict[tuple[str, str], ChatModel] = {}
        self._prompt_blocks: list[PromptBlock] | None = None
        self.warehouses = WarehousePool(settings.warehouse_pool_size)  # one adapter per connection

    # -- ports -----------------------------------------------------------------------------

    @cached_property
    def db(self) -> Database:
        from shared.db.engine import Database, make_engine

        return Database(make_engine(self.settings))

    def store(self, kind: str) -> ObjectStore:
        """The object store of one kind: dashboards, cache, sessions or secrets."""
        with self._lock:
            if kind not in self._stores:
                self._stores[kind] = self._make_store(self.settings.bucket(kind), versioned=kind != "cache")
            return self._stores[kind]

    def _make_store(self, bucket: str, *, versioned: bool = True) -> ObjectStore:
        s = self.settings
        if s.object_store == "gcs":
            from shared.adapters.objectstore.gcs import GcsObjectStore

            return GcsObjectStore(bucket, project=s.gcp_project or None)
        from shared.adapters.objectstore.local import LocalObjectStore

        # like terraform/storage.tf: the cache bucket keeps no old generations; it holds only what can
        # be computed again, so it is written without fsync (durability where it matters: the rest)
        return LocalObjectStore(
            s.data_dir / "objects" / bucket, bucket=bucket, versioned=versioned, durable=versioned
        )

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
        """The queue, with every task handler of :mod:`shared.entry.task_handlers` registered."""
        from shared.entry.heap import settled
        from shared.entry.task_handlers import TASKS, task_handlers

        s = self.settings
        queue: TaskQueue
        if s.task_queue == "cloudtasks":
            from shared.adapters.tasks.cloudtasks import CloudTasksQueue

            queue = CloudTasksQueue(
                s.tasks_queue,
                target_url=s.tasks_target_url,
                service_account=s.tasks_service_account,
                handlers=TASKS,
            )
        else:
            from shared.adapters.tasks.inprocess import InProcessTaskQueue

            processes = None
            if s.task_processes:
                from shared.adapters.tasks.processes import TaskProcesses
                from shared.entry.task_process import child_main

                # a session's next step waits for the process holding its caches; warm-ups go anywhere
                processes = TaskProcesses(
                    s, wake=self.db.wakeup.wake, child=child_main, sticky=frozenset({"agent_step"})
                )
            # on SQLite too: its write transactions begin IMMEDIATE, so writers wait their turn
            queue = InProcessTaskQueue(
                workers=s.task_processes or s.task_workers or None, processes=processes
            )
        for name, handler in task_handlers(self).items():
            queue.register(name, settled(handler))  # the local queue's tasks count towards the freeze
        return queue

    @cached_property
    def identity(self) -> Identity:
        from shared.adapters.identity.binding import SubjectBinding
        from shared.adapters.identity.cache import CachingIdentity

        s = self.settings
        inner: Identity
        if s.identity == "google":
            from shared.adapters.identity.google import GoogleIdentity

            inner = GoogleIdentity(s.auth_audience or s.gcp_project, emulator=bool(s.auth_emulator_host))
        else:
            inner = self.local_identity
        # an email's memberships go to the account that first signed in with it (user_identities)
        return CachingIdentity(SubjectBinding(inner, self.db))

    @cached_property
    def local_identity(self) -> LocalIdentity:
        from shared.adapters.identity.local import LocalIdentity

        return LocalIdentity(self.local_secret)

    @cached_property
    def local_secret(self) -> str:
        """The HMAC secret of local tokens (and of the short-lived tokens derived from it)."""
        from shared.adapters.identity.secret import load_or_create_secret

        if self.settings.cloud == "gcp" and not self.settings.auth_secret:
            from shared.errors import BridgeError

            # a key drawn per instance would refuse every stream token another instance minted
            raise BridgeError(
                "BRIDGE_AUTH_SECRET is not set: on Google Cloud every instance must share it "
                "(Terraform mounts it from Secret Manager, terraform/secrets.tf)"
            )
        return self.settings.auth_secret or load_or_create_secret(
            self.settings.data_dir / "keys" / "auth.secret"
        )

    @cached_property
    def hit_reads(self) -> HitReads:
        """A cache hit's directory reads: DB-API for a plain SQLite/PostgreSQL URL, else SQLAlchemy."""
        if not self.settings.cloudsql_instance:
            from shared.adapters.directory.dbapi import for_url

            light = for_url(self.settings.database_url)
            if light is not None:
                return light
        from shared.adapters.directory.orm import OrmHitReads

        return OrmHitReads(self.db)

    # -- services and the agent's per-instance parts ----------------------------------------

    @cached_property
    def data_service(self) -> DataService:
        """Dashboard data: caches, pool and refresh-behind of this instance."""
        from shared.services.serving import DataService

        return DataService(self)

    @property
    def data_service_built(self) -> bool:
        """Whether this instance has built its :attr:`data_service` (a warm one serves hits there)."""
        return "data_service" in self.__dict__

    @cached_property
    def cold_hits(self) -> ColdHits | None:
        """Hits answered from shared responses before :attr:`data_service` exists (local tokens only)."""
        if self.settings.identity != "local":
            return None
        from shared.services.serving.cold_hit import ColdHits

        return ColdHits(self.hit_reads, self.store("cache"), lambda: self.local_secret)

    @cached_property
    def tools(self) -> ToolRegistry:
        """The agent's tools (:mod:`shared.agent.tools`)."""
        from shared.agent.tools import build_registry

        return build_registry()

    def chat_model(self, name: str | None = None, region: str | None = None) -> ChatModel:
        """The team's model and region (or the settings' defaults), created once per instance."""
        from shared.adapters.model.registry import create_model

        key = (name or "", region or "")
        with self._lock:
            if key not in self._models:
                self._models[key] = create_model(name or None, settings=self.settings, region=region or None)
            return self._models[key]

    def install_model(self, model: ChatModel, name: str | None = None, region: str | None = None) -> None:
        """Serve ``model`` for ``name``/``region`` (tests, recorded conversations); refused when the
        chat steps run in task processes, which build their own models."""
        if self.settings.task_processes and self.settings.task_queue == "inprocess":
            from shared.errors import Conflict

            raise Conflict("task processes run the chat steps: a model installed here would not be used")
        with self._lock:
            self._models[(name or "", region or "")] = model

    def prompt_blocks(self) -> list[PromptBlock]:
        """Prompt blocks from the directory DB (seeded on first use), read once per instance."""
        from shared.agent.prompts import stored_blocks

        with self._lock:
            if self._prompt_blocks is None:
                self._prompt_blocks = stored_blocks(self.db)
            return self._prompt_blocks


_container: Container | None = None
_container_lock = threading.Lock()


def get_container() -> Container:
    """The process-wide container, built on first use (entry points only)."""
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
