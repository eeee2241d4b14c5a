"""GCS object-finalize CloudEvents: build them exactly as Eventarc delivers them, and read them back.

``data`` is GCS's StorageObjectData (the JSON API object resource): numbers such as
``generation`` and ``size`` are strings, times are RFC 3339 in UTC, and ``metadata`` is present
only when the object has custom metadata.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cloudevents.http import CloudEvent

from shared.adapters.objectstore.port import FINALIZED, ObjectInfo
from shared.errors import BadRequest

DATA_SCHEMA = (
    "https://googleapis.github.io/google-cloudevents/jsonschema/google/events/cloud/storage/v1/"
    "StorageObjectData.json"
)


def rfc3339(moment: datetime) -> str:
    """``2024-05-01T12:00:00.123Z``: GCS's timestamp format (UTC, milliseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_source(bucket: str) -> str:
    return f"//storage.googleapis.com/projects/_/buckets/{bucket}"


def event_id(bucket: str, path: str, generation: int) -> str:
    """Stable per (bucket, path, generation), so a redelivered event keeps its id."""
    return hashlib.sha256(f"{bucket}\x00{path}\x00{generation}".encode()).hexdigest()[:32]


def storage_object_data(bucket: str, info: ObjectInfo) -> dict[str, Any]:
    """The StorageObjectData payload GCS sends for one object generation."""
    when = rfc3339(info.updated)
    data: dict[str, Any] = {
        "kind": "storage#object",
        "id": f"{bucket}/{info.path}/{info.generation}",
        "name": info.path,
        "bucket": bucket,
        "generation": str(info.generation),
        "metageneration": "1",
        "contentType": info.content_type,
        "timeCreated": when,
        "updated": when,
        "storageClass": "STANDARD",
        "timeStorageClassUpdated": when,
        "size": str(info.size),
    }
    if info.metadata:
        data["metadata"] = dict(info.metadata)
    return data


def finalize_event(bucket: str, info: ObjectInfo) -> CloudEvent:
    """The ``google.cloud.storage.object.v1.finalized`` CloudEvent for one object generation."""
    attributes = {
        "specversion": "1.0",
        "type": FINALIZED,
        "source": event_source(bucket),
        "subject": f"objects/{info.path}",
        "id": event_id(bucket, info.path, info.generation),
        "time": rfc3339(info.updated),
        "datacontenttype": "application/json",
        "dataschema": DATA_SCHEMA,
    }
    return CloudEvent(attributes, storage_object_data(bucket, info))


def parse_finalize_event(event: Any) -> tuple[str, str, int]:
    """``(bucket, path, generation)`` of a finalize CloudEvent; :class:`BadRequest` if it is not one."""
    try:
        kind = event["type"]
        data = event.data
    except (KeyError, AttributeError, TypeError) as e:
        raise BadRequest("not a CloudEvent") from e
    if kind != FINALIZED:
        raise BadRequest(f"expected a {FINALIZED} event, got {kind!r}")
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except ValueError as e:
            raise BadRequest("finalize event data is not JSON") from e
    if not isinstance(data, dict):
        raise BadRequest("finalize event data must be a JSON object")
    bucket, name, generation = data.get("bucket"), data.get("name"), data.get("generation")
    if not isinstance(bucket, str) or not bucket or not isinstance(name, str) or not name:
        raise BadRequest("finalize event data needs 'bucket' and 'name'", details={"data": data})
    if not isinstance(generation, str | int) or not str(generation).isdigit():
        raise BadRequest("finalize event 'generation' must be a number", details={"data": data})
    return bucket, name, int(generation)
