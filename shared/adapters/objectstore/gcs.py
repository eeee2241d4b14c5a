"""The object store on Google Cloud Storage (google-cloud-storage, JSON API).

Generations and preconditions are GCS's own: ``if_generation_match=0`` is create-only, any
other number compare-and-swap, and GCS's 412 becomes :class:`PreconditionFailed`. Old generations
stay readable where the bucket keeps noncurrent versions (the dashboards bucket does).

``subscribe`` is a no-op here: on Google Cloud, Eventarc delivers each bucket's
``object.v1.finalized`` events to the ``precompute`` function over HTTP, so no process needs an
in-process subscription (the local adapter emits the same CloudEvents itself).

The client retries preconditioned uploads. When a retry meets a 412 because the first attempt
landed and only its answer was lost, the live generation (created since the put began, with
the same MD5, size, content type and metadata) is returned instead of a false conflict.

google-cloud-storage is imported on first use and the client is created once per instance.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.objectstore.local import validate_path
from shared.adapters.objectstore.port import FinalizeSubscriber, ObjectInfo, StoredObject
from shared.errors import BadRequest, BridgeError, Forbidden, NotFound, PreconditionFailed, Unavailable

log = logging.getLogger(__name__)

_CLOCK_SKEW = timedelta(seconds=30)  # between this instance's clock and GCS's timeCreated
_READ_ATTEMPTS = 3  # a live generation replaced between metadata and media read is retried


class GcsObjectStore:
    """:class:`~shared.adapters.objectstore.port.ObjectStore` on one GCS bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        project: str | None = None,
        client_options: dict[str, Any] | None = None,
        credentials: Any = None,
    ) -> None:
        if not bucket:
            raise BadRequest("a GCS bucket name is required")
        self.bucket = bucket
        self._project = project
        self._client_options = client_options
        self._credentials = credentials
        self._lock = threading.Lock()
        self._handle: Any = None

    # -- client ---------------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``google.cloud.storage.Client``, created on first use."""
        return self._bucket().client

    def _bucket(self) -> Any:
        with self._lock:
            if self._handle is None:
                from google.cloud.storage import Client

                client = Client(
                    project=self._project, credentials=self._credentials, client_options=self._client_options
                )
                self._handle = client.bucket(self.bucket)
            return self._handle

    # -- writes ---------------------------------------------------------------------------------

    def put(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
        if_generation_match: int | None = None,
    ) -> ObjectInfo:
        """Upload a new generation of ``path``; see the port for precondition semantics."""
        validate_path(path)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise BadRequest("object data must be bytes", details={"path": path})
        _validate_precondition(path, if_generation_match)
        metadata = dict(metadata or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise BadRequest("object metadata keys and values must be strings", details={"path": path})
        from google.api_core import exceptions as gexc

        started = datetime.now(UTC)
        blob = self._bucket().blob(path)
        blob.metadata = metadata or None
        try:
            blob.upload_from_string(
                bytes(data), content_type=content_type, if_generation_match=if_generation_match
            )
        except gexc.PreconditionFailed:
            # The client retries preconditioned uploads; when an attempt landed but its answer was
            # lost, the retry meets our own generation: created since, with exactly our bytes.
            own = self._live_copy_of(path, bytes(data), content_type, metadata, started)
            if own is not None:
                return own
            raise self._precondition_failed(path, if_generation_match) from None
        except gexc.GoogleAPICallError as e:
            raise _api_error("upload", path, e) from e
        return _info(blob)

    def _live_copy_of(
        self, path: str, data: bytes, content_type: str, metadata: dict[str, str], started: datetime
    ) -> ObjectInfo | None:
        """The live generation when it is this put's: created since it started, same bytes and metadata."""
        from google.api_core import exceptions as gexc

        try:
            live = self._bucket().get_blob(path)
        except gexc.GoogleAPICallError:
            return None
        if live is None or live.time_created is None:
            return None
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        ours = (
            live.time_created >= started - _CLOCK_SKEW
            and live.md5_hash == md5
            and int(live.size or 0) == len(data)
            and (live.content_type or "") == content_type
            and dict(live.metadata or {}) == metadata
        )
        return _info(live) if ours else None

    def delete(self, path: str, *, if_generation_match: int | None = None) -> None:
        """Make ``path`` noncurrent (versioned buckets keep it readable). Absent is not an error."""
        validate_path(path)
        _validate_precondition(path, if_generation_match)
        from google.api_core import exceptions as gexc

        try:
            self._bucket().delete_blob(path, if_generation_match=if_generation_match)
        except gexc.NotFound:
            if if_generation_match not in (None, 0):
                raise self._precondition_failed(path, if_generation_match) from None
        except gexc.PreconditionFailed:
            raise self._precondition_failed(path, if_generation_match) from None
        except gexc.GoogleAPICallError as e:
            raise _api_error("delete", path, e) from e

    def subscribe(self, callback: FinalizeSubscriber) -> None:
        """No-op: on GCS, Eventarc delivers finalize events to the precompute function."""
        log.debug("GCS finalize events reach functions through Eventarc; %r is not called", callback)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, path: str, *, generation: int | None = None) -> StoredObject:
        """The live object or a kept ``generation``; :class:`NotFound` when absent."""
        validate_path(path)
        from google.api_core import exceptions as gexc

        bucket = self._bucket()
        for _ in range(_READ_ATTEMPTS):
            try:
                blob = bucket.get_blob(path, generation=generation)
                if blob is None:
                    break
                # The blob carries its generation, so the media read is of exactly that generation.
                data = blob.download_as_bytes()
            except gexc.NotFound:
                if generation is not None:
                    break
                continue  # replaced (and its old generation dropped) between the two reads
            except gexc.GoogleAPICallError as e:
                raise _api_error("download", path, e) from e
            return StoredObject(info=_info(blob), data=data)
        if generation is None:
            raise NotFound(f"object {path!r} not found", details={"path": path})
        raise NotFound(
            f"object {path!r} has no generation {generation}",
            details={"path": path, "generation": generation},
        )

    def head(self, path: str) -> ObjectInfo | None:
        """Metadata of the live generation, or None."""
        validate_path(path)
        from google.api_core import exceptions as gexc

        try:
            blob = self._bucket().get_blob(path)
        except gexc.GoogleAPICallError as e:
            raise _api_error("read metadata of", path, e) from e
        return None if blob is None else _info(blob)

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Live objects whose path starts with ``prefix``, sorted by path."""
        return sorted(self._list(prefix, versions=False), key=lambda info: info.path)

    def versions(self, path: str) -> builtins.list[ObjectInfo]:
        """Every kept generation of ``path`` (``list_blobs(versions=True)``), oldest first."""
        validate_path(path)
        found = [info for info in self._list(path, versions=True) if info.path == path]
        return sorted(found, key=lambda info: info.generation)

    # -- internals ------------------------------------------------------------------------------

    def _list(self, prefix: str, *, versions: bool) -> builtins.list[ObjectInfo]:
        if not isinstance(prefix, str):
            raise BadRequest("prefix must be a string")
        directory = prefix.rpartition("/")[0]
        if directory:
            validate_path(directory)  # the same prefixes the local store accepts
        from google.api_core import exceptions as gexc

        bucket = self._bucket()
        try:
            return [
                _info(b) for b in bucket.client.list_blobs(bucket, prefix=prefix or None, versions=versions)
            ]
        except gexc.GoogleAPICallError as e:
            raise _api_error("list", prefix, e) from e

    def _precondition_failed(self, path: str, expected: int | None) -> PreconditionFailed:
        live = self.head(path)
        actual = None if live is None else live.generation
        return PreconditionFailed(
            f"precondition failed for {path!r}: expected generation {expected}, live is {actual}",
            details={"path": path, "expected_generation": expected, "actual_generation": actual},
        )


def _validate_precondition(path: str, expected: int | None) -> None:
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 0):
        raise BadRequest(
            f"if_generation_match must be a generation number >= 0, got {expected!r}", details={"path": path}
        )


def _info(blob: Any) -> ObjectInfo:
    updated: datetime = blob.updated or datetime.now(UTC)
    return ObjectInfo(
        path=blob.name,
        generation=int(blob.generation),
        size=int(blob.size or 0),
        updated=updated,
        content_type=blob.content_type or "application/octet-stream",
        metadata=dict(blob.metadata or {}),
    )


def _api_error(action: str, path: str, error: Exception) -> BridgeError:
    code = getattr(error, "code", None)
    if code in (401, 403):
        return Forbidden(
            f"this function's identity may not {action} {path!r} in the bucket", details={"path": path}
        )
    return Unavailable(
        f"GCS could not {action} {path!r} in this bucket ({code or type(error).__name__})",
        details={"path": path, "status": code},
    )
