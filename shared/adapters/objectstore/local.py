"""A folder on disk that behaves like a versioned GCS bucket.

Layout: each object path maps to a directory (its segments percent-encoded, the last one suffixed
``@o``; ``@`` is always encoded inside segments, so objects and prefixes never collide)::

    <root>/reports/q1.yaml@o/
        lock          fcntl lock serialising writers of this object (threads and processes)
        pointer       {"live": generation | null, "last": generation}
        gens/<n>.json metadata of generation n (immutable once written)
        gens/<n>.data bytes of generation n (immutable once written)

Writers hold the lock, write the generation files, then replace ``pointer`` atomically; readers
take no lock: a pointer only ever names complete, immutable generation files.

Every file is written to a temporary name and renamed into place. A durable store (the default)
also fsyncs each file before the rename, so a write that returned survives a power loss. A store
made with ``durable=False`` (the result cache: everything in it can be computed again) skips the
fsyncs: a crash may then leave a file empty or partial, which reads as absent (never as an error)
and the next write replaces.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from shared.adapters.objectstore.events import finalize_event
from shared.adapters.objectstore.port import FinalizeSubscriber, ObjectInfo, StoredObject
from shared.errors import BadRequest, NotFound, PreconditionFailed

log = logging.getLogger(__name__)

OBJECT_SUFFIX = "@o"
MAX_PATH_BYTES = 1024  # GCS's limit on object names
MAX_SEGMENT_BYTES = 240  # encoded, leaving room for the suffix within a 255-byte file name


def validate_path(path: str) -> str:
    """``path`` if it is a safe relative object name; :class:`BadRequest` otherwise."""
    problem = _path_problem(path)
    if problem:
        raise BadRequest(f"invalid object path {path!r}: {problem}", details={"path": path})
    return path


def _path_problem(path: object) -> str | None:
    if not isinstance(path, str) or not path:
        return "must be a non-empty string"
    if len(path.encode()) > MAX_PATH_BYTES:
        return f"longer than {MAX_PATH_BYTES} bytes"
    if any(c in path for c in "\x00\r\n"):
        return "contains NUL or a line break"
    if path.startswith("/"):
        return "must be relative"
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return "empty, '.' and '..' segments are not allowed"
        if len(_encode(segment)) > MAX_SEGMENT_BYTES:
            return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes once encoded"
    return None


def _encode(segment: str) -> str:
    return quote(segment, safe="")


class LocalObjectStore:
    """:class:`~shared.adapters.objectstore.port.ObjectStore` on a local folder, safe across threads and processes."""

    def __init__(
        self, root: Path, *, bucket: str = "bridge-local", versioned: bool = True, durable: bool = True
    ) -> None:
        self.root = Path(root)
        self.bucket = bucket
        self.versioned = versioned  # False: like a GCS bucket without versioning, one generation kept
        self.durable = durable  # False: no fsync; a file a crash left damaged reads as absent
        self.root.mkdir(parents=True, exist_ok=True)
        self._subscribers: list[FinalizeSubscriber] = []
        self._subscribers_lock = threading.Lock()

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
        """Write a new generation of ``path``; see the port for precondition semantics."""
        validate_path(path)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise BadRequest("object data must be bytes", details={"path": path})
        data = bytes(data)
        _validate_precondition(path, if_generation_match)
        metadata = dict(metadata or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise BadRequest("object metadata keys and values must be strings", details={"path": path})
        folder = self._folder(path)
        with self._locked(folder):
            pointer = self._pointer(folder)
            _check_precondition(path, pointer.get("live"), if_generation_match)
            generation = max(time.time_ns() // 1000, int(pointer.get("last") or 0) + 1)
            info = ObjectInfo(
                path=path,
                generation=generation,
                size=len(data),
                updated=datetime.fromtimestamp(generation / 1_000_000, UTC),
                content_type=content_type,
                metadata=metadata,
            )
            gens = folder / "gens"
            gens.mkdir(exist_ok=True)
            sync = self.durable
            _atomic_write(gens / f"{generation}.data", data, sync=sync)
            _atomic_write(gens / f"{generation}.json", json.dumps(_info_to_json(info)).encode(), sync=sync)
            _write_pointer(folder, live=generation, last=generation, sync=sync)
            if not self.versioned:
                _remove_generations(gens, keep=generation)
        self._publish(info)
        return info

    def delete(self, path: str, *, if_generation_match: int | None = None) -> None:
        """Make ``path`` noncurrent; its generations stay readable. Absent is not an error."""
        validate_path(path)
        _validate_precondition(path, if_generation_match)
        folder = self._folder(path)
        if not folder.is_dir():
            _check_precondition(path, None, if_generation_match)
            return
        with self._locked(folder):
            pointer = self._pointer(folder)
            live = pointer.get("live")
            _check_precondition(path, live, if_generation_match)
            if live is not None:
                _write_pointer(folder, live=None, last=int(pointer["last"]), sync=self.durable)
            if not self.versioned:
                _remove_generations(folder / "gens", keep=None)

    def subscribe(self, callback: FinalizeSubscriber) -> None:
        """Call ``callback`` with a finalize CloudEvent after each successful put."""
        with self._subscribers_lock:
            self._subscribers.append(callback)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, path: str, *, generation: int | None = None) -> StoredObject:
        """The live object, or a kept ``generation``; :class:`NotFound` when absent."""
        validate_path(path)
        folder = self._folder(path)
        if generation is None:
            generation = self._pointer(folder).get("live")
            if generation is None:
                raise NotFound(f"object {path!r} not found", details={"path": path})
        info = self._read_info(folder, path, generation)
        if info is None:
            raise NotFound(
                f"object {path!r} has no generation {generation}",
                details={"path": path, "generation": generation},
            )
        try:
            data = (folder / "gens" / f"{generation}.data").read_bytes()
        except FileNotFoundError:  # replaced meanwhile in an unversioned bucket
            raise NotFound(f"object {path!r} not found", details={"path": path}) from None
        return StoredObject(info=info, data=data)

    def head(self, path: str) -> ObjectInfo | None:
        """Metadata of the live generation, or None."""
        validate_path(path)
        folder = self._folder(path)
        live = self._pointer(folder).get("live")
        return None if live is None else self._read_info(folder, path, live)

    def list(self, prefix: str) -> list[ObjectInfo]:
        """Live objects whose path starts with ``prefix`` (a plain string prefix, as in GCS)."""
        directory, _, _ = prefix.rpartition("/")
        segments = directory.split("/") if directory else []
        if directory:
            validate_path(directory)
        found: list[ObjectInfo] = []
        for folder, path in self._walk(self._dir_of(segments), segments):
            live = self._pointer(folder).get("live") if path.startswith(prefix) else None
            if live is not None and (info := self._read_info(folder, path, live)) is not None:
                found.append(info)
        return sorted(found, key=lambda info: info.path)

    def versions(self, path: str) -> builtins.list[ObjectInfo]:
        """Every kept generation of ``path``, oldest first."""
        validate_path(path)
        gens = self._folder(path) / "gens"
        if not gens.is_dir():
            return []
        numbers = sorted(int(p.stem) for p in gens.glob("*.json"))
        return [info for n in numbers if (info := self._read_info(gens.parent, path, n)) is not None]

    # -- internals ------------------------------------------------------------------------------

    def _folder(self, path: str) -> Path:
        *parents, last = path.split("/")
        return self._dir_of(parents) / (_encode(last) + OBJECT_SUFFIX)

    def _dir_of(self, segments: builtins.list[str]) -> Path:
        return self.root.joinpath(*(_encode(s) for s in segments))

    def _walk(self, start: Path, segments: builtins.list[str]) -> Iterator[tuple[Path, str]]:
        """(folder, path) of every object directory below ``start``."""
        try:
            entries = sorted(os.scandir(start), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if entry.name.endswith(OBJECT_SUFFIX):
                name = unquote(entry.name[: -len(OBJECT_SUFFIX)])
                yield Path(entry.path), "/".join([*segments, name])
            else:
                yield from self._walk(Path(entry.path), [*segments, unquote(entry.name)])

    def _pointer(self, folder: Path) -> dict[str, Any]:
        try:
            return _read_pointer(folder)
        except ValueError:  # damaged by a crash (no fsync): as if the object were absent
            if self.durable:
                raise
            return {"live": None, "last": 0}

    def _read_info(self, folder: Path, path: str, generation: int) -> ObjectInfo | None:
        try:
            raw = json.loads((folder / "gens" / f"{generation}.json").read_bytes())
        except FileNotFoundError:
            return None
        except ValueError:
            if self.durable:
                raise
            return None  # damaged by a crash (no fsync): as if the generation were absent
        return ObjectInfo(
            path=path,
            generation=int(raw["generation"]),
            size=int(raw["size"]),
            updated=datetime.fromisoformat(raw["updated"]),
            content_type=raw["content_type"],
            metadata=dict(raw["metadata"]),
        )

    @contextlib.contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        folder.mkdir(parents=True, exist_ok=True)
        # flock locks belong to the open file description, so each call's own open() also
        # excludes other threads of this process.
        with open(folder / "lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _publish(self, info: ObjectInfo) -> None:
        with self._subscribers_lock:
            subscribers = list(self._subscribers)
        if not subscribers:
            return
        event = finalize_event(self.bucket, info)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("finalize subscriber %r failed for %s#%d", callback, info.path, info.generation)


def _remove_generations(gens: Path, *, keep: int | None) -> None:
    """Delete every stored generation but ``keep`` (an unversioned bucket keeps only the live one)."""
    if not gens.is_dir():
        return
    for file in gens.iterdir():
        if file.suffix in (".data", ".json") and file.stem != str(keep):
            file.unlink(missing_ok=True)


def _validate_precondition(path: str, expected: int | None) -> None:
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 0):
        raise BadRequest(
            f"if_generation_match must be a generation number >= 0, got {expected!r}", details={"path": path}
        )


def _check_precondition(path: str, live: int | None, expected: int | None) -> None:
    if expected is None:
        return
    if (expected == 0 and live is None) or (expected != 0 and live == expected):
        return
    raise PreconditionFailed(
        f"precondition failed for {path!r}: expected generation {expected}, live is {live}",
        details={"path": path, "expected_generation": expected, "actual_generation": live},
    )


def _read_pointer(folder: Path) -> dict[str, Any]:
    try:
        pointer: dict[str, Any] = json.loads((folder / "pointer").read_bytes())
    except FileNotFoundError:
        return {"live": None, "last": 0}
    return pointer


def _write_pointer(folder: Path, *, live: int | None, last: int, sync: bool = True) -> None:
    _atomic_write(folder / "pointer", json.dumps({"live": live, "last": last}).encode(), sync=sync)


def _atomic_write(target: Path, data: bytes, *, sync: bool = True) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _info_to_json(info: ObjectInfo) -> dict[str, Any]:
    return {
        "path": info.path,
        "generation": info.generation,
        "size": info.size,
        "updated": info.updated.isoformat(),
        "content_type": info.content_type,
        "metadata": info.metadata,
    }
