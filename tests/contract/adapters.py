"""Adapter factories for the object store, key manager and task queue contract suites.

Each ``*_FACTORIES`` list holds ``pytest.param(factory, id=...)``; a factory is a context
manager taking the test's ``tmp_path`` and yielding a ready adapter, cleaned up on exit. Cloud
adapters (GCS on an emulator, KMS and Cloud Tasks on recorded HTTP) are appended to the same
lists and must pass the same suites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.adapters.keys.local import LocalKeyManager
from shared.adapters.keys.port import KeyManager
from shared.adapters.objectstore.local import LocalObjectStore
from shared.adapters.objectstore.port import ObjectStore
from shared.adapters.tasks.inprocess import InProcessTaskQueue
from shared.adapters.tasks.port import TaskQueue

# -- object store -------------------------------------------------------------------------------


@contextmanager
def local_object_store(tmp_path: Path) -> Iterator[ObjectStore]:
    yield LocalObjectStore(tmp_path / "bucket", bucket="bridge-contract")


OBJECT_STORE_FACTORIES = [pytest.param(local_object_store, id="local")]


# -- key manager --------------------------------------------------------------------------------


@contextmanager
def local_key_manager(tmp_path: Path) -> Iterator[KeyManager]:
    yield LocalKeyManager(tmp_path / "keys" / "kek.bin")


KEY_MANAGER_FACTORIES = [pytest.param(local_key_manager, id="local")]


# -- task queue ---------------------------------------------------------------------------------


@dataclass
class QueueUnderTest:
    """A task queue plus what a test needs beyond the port: waiting for idle, reading dead tasks."""

    queue: TaskQueue
    wait_idle: Callable[[float], bool]
    dead_names: Callable[[], list[str | None]]


TaskQueueFactory = Callable[..., AbstractContextManager[QueueUnderTest]]


@contextmanager
def inprocess_task_queue(tmp_path: Path, *, max_attempts: int = 5) -> Iterator[QueueUnderTest]:
    queue = InProcessTaskQueue(workers=4, max_attempts=max_attempts, base_backoff_s=0.005, max_backoff_s=0.05)
    try:
        yield QueueUnderTest(
            queue=queue,
            wait_idle=lambda timeout: queue.join(timeout),
            dead_names=lambda: [task.name for task in queue.dead],
        )
    finally:
        queue.close()


TASK_QUEUE_FACTORIES = [pytest.param(inprocess_task_queue, id="inprocess")]


# -- cloud adapters on local servers (tests/cloud) ----------------------------------------------


@contextmanager
def gcs_object_store(tmp_path: Path) -> Iterator[ObjectStore]:
    from cloud.stores import gcs_store

    with gcs_store() as store:
        yield store


OBJECT_STORE_FACTORIES.append(pytest.param(gcs_object_store, id="gcs"))


@contextmanager
def kms_key_manager(tmp_path: Path) -> Iterator[KeyManager]:
    from cloud.stores import kms_keys

    with kms_keys() as (keys, _server):
        yield keys


KEY_MANAGER_FACTORIES.append(pytest.param(kms_key_manager, id="kms"))


@contextmanager
def cloud_tasks_queue(tmp_path: Path, *, max_attempts: int = 5) -> Iterator[QueueUnderTest]:
    from cloud.stores import cloud_tasks

    with cloud_tasks(max_attempts=max_attempts) as (queue, server):
        yield QueueUnderTest(queue=queue, wait_idle=server.wait_idle, dead_names=lambda: list(server.dead))


TASK_QUEUE_FACTORIES.append(pytest.param(cloud_tasks_queue, id="cloudtasks"))
