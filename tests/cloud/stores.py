"""Cloud adapters wired to local servers, as context managers for the contract suites."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from shared.adapters.keys.kms import KmsKeyManager
from shared.adapters.objectstore.gcs import GcsObjectStore
from shared.adapters.objectstore.port import FinalizeSubscriber
from shared.adapters.tasks.cloudtasks import CloudTasksQueue
from shared.adapters.tasks.port import TaskHandler
from shared.entry.task_handlers import TASKS

from .fake_gcs import FakeGcsServer
from .fake_kms import KEY_NAME as KMS_KEY_NAME
from .fake_kms import FakeKmsServer
from .fake_tasks import QUEUE as TASKS_QUEUE
from .fake_tasks import FakeCloudTasksServer
from .google_issuer import CertsFromFake
from .http import LocalHttpServer

HERE = Path(__file__).parent


def anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()


class EventarcFedGcsStore(GcsObjectStore):
    """The GCS adapter, except that ``subscribe`` registers with the local Eventarc stand-in.

    The production adapter's ``subscribe`` is a no-op (Eventarc calls the precompute function);
    here finalize events travel server → HTTP → functions-framework function → callbacks.
    """

    def __init__(self, bucket: str, subscribers: list[Any], **kwargs: Any) -> None:
        super().__init__(bucket, **kwargs)
        self._subscribers = subscribers

    def subscribe(self, callback: FinalizeSubscriber) -> None:
        self._subscribers.append(callback)


_apps: dict[str, tuple[Any, ModuleType]] = {}


def function_app(source: str, target: str, signature_type: str) -> tuple[Any, ModuleType]:
    """A functions-framework app for ``source`` (beside this file) and its loaded module, built once."""
    if source not in _apps:
        import functions_framework

        app = functions_framework.create_app(
            target=target, source=str(HERE / source), signature_type=signature_type
        )
        _apps[source] = (app, sys.modules[Path(source).stem])
    return _apps[source]


@contextmanager
def eventarc_target() -> Iterator[tuple[str, list[Any]]]:
    """A functions-framework CloudEvent function on loopback: (url, its subscriber list)."""
    app, module = function_app("eventarc_target.py", "on_finalize", "cloudevent")
    subscribers: list[Any] = module.SUBSCRIBERS
    subscribers.clear()
    server = LocalHttpServer(app)
    try:
        yield server.url, subscribers
    finally:
        server.close()


@contextmanager
def gcs_store(bucket: str = "bridge-contract") -> Iterator[EventarcFedGcsStore]:
    """The GCS adapter on FakeGcsServer, its finalize events delivered through Eventarc's path."""
    with eventarc_target() as (target_url, subscribers):
        server = FakeGcsServer((bucket,), notify_url=target_url)
        try:
            yield EventarcFedGcsStore(
                bucket,
                subscribers,
                project="bridge-test",
                client_options={"api_endpoint": server.url},
                credentials=anonymous(),
            )
        finally:
            server.close()


@contextmanager
def kms_keys() -> Iterator[tuple[KmsKeyManager, FakeKmsServer]]:
    """The KMS key manager on FakeKmsServer through the client's REST transport."""
    server = FakeKmsServer()
    try:
        yield (
            KmsKeyManager(
                KMS_KEY_NAME,
                transport="rest",
                client_options={"api_endpoint": server.url},
                credentials=anonymous(),
            ),
            server,
        )
    finally:
        server.close()


class DispatchedCloudTasksQueue(CloudTasksQueue):
    """The Cloud Tasks adapter whose registered handlers are also served by the harness's target."""

    def __init__(self, queue_path: str, target_handlers: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(queue_path, **kwargs)
        self._target_handlers = target_handlers

    def register(self, handler: str, fn: TaskHandler) -> None:
        super().register(handler, fn)
        self._target_handlers[handler] = fn


TASKS_SERVICE_ACCOUNT = "tasks-invoker@bridge-test.iam.gserviceaccount.com"


@contextmanager
def cloud_tasks(*, max_attempts: int = 5) -> Iterator[tuple[DispatchedCloudTasksQueue, FakeCloudTasksServer]]:
    """The Cloud Tasks adapter on FakeCloudTasksServer, dispatching to a functions-framework target."""
    app, target_module = function_app("tasks_target.py", "task_target", "http")
    target_module.HANDLERS.clear()
    server = FakeCloudTasksServer(max_attempts=max_attempts)
    target = LocalHttpServer(app)
    target_module.CONFIG.update(
        audience=target.url,
        email=TASKS_SERVICE_ACCOUNT,
        request=CertsFromFake(server.url),
        platform_verified=False,
    )
    try:
        yield (
            DispatchedCloudTasksQueue(
                TASKS_QUEUE,
                target_module.HANDLERS,
                handlers=TASKS,
                target_url=target.url,
                service_account=TASKS_SERVICE_ACCOUNT,
                transport="rest",
                client_options={"api_endpoint": server.url},
                credentials=anonymous(),
            ),
            server,
        )
    finally:
        server.close()
        target.close()
