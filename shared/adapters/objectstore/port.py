"""The object store port: generations, preconditions and finalize events, as GCS has them."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

FINALIZED = "google.cloud.storage.object.v1.finalized"


@dataclass(frozen=True)
class ObjectInfo:
    """Metadata of one generation of an object."""

    path: str
    generation: int
    size: int
    updated: datetime
    content_type: str = "application/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredObject:
    info: ObjectInfo
    data: bytes


# A finalize subscriber receives a ``cloudevents.http.CloudEvent`` with GCS's StorageObjectData.
FinalizeSubscriber = Callable[[Any], None]


class ObjectStore(Protocol):
    """Objects addressed by path, each write creating a new, larger generation.

    Preconditions follow GCS: ``if_generation_match=0`` means "only if absent" (create-only);
    any other number means "only if the live generation is exactly this" (compare-and-swap).
    A failed precondition raises :class:`shared.errors.PreconditionFailed`.
    """

    bucket: str

    def put(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
        if_generation_match: int | None = None,
    ) -> ObjectInfo: ...

    def get(self, path: str, *, generation: int | None = None) -> StoredObject:
        """The live object, or one kept generation; :class:`NotFound` when absent."""
        ...

    def head(self, path: str) -> ObjectInfo | None: ...

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Live objects under ``prefix``, sorted by path."""
        ...

    def versions(self, path: str) -> builtins.list[ObjectInfo]:
        """Every kept generation of ``path`` (live and noncurrent), oldest first."""
        ...

    def delete(self, path: str, *, if_generation_match: int | None = None) -> None:
        """Remove the live object (kept generations stay readable). Absent is not an error."""
        ...

    def subscribe(self, callback: FinalizeSubscriber) -> None:
        """Call ``callback`` with an object-finalize CloudEvent after each successful put."""
        ...
