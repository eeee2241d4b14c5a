"""Object store contract: every adapter in OBJECT_STORE_FACTORIES behaves like a versioned GCS bucket.

Tests named ``test_local_*`` exercise the folder adapter only (processes, files on disk).
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from adapters import OBJECT_STORE_FACTORIES
from cloudevents.http import CloudEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.objectstore.events import finalize_event, parse_finalize_event
from shared.adapters.objectstore.local import LocalObjectStore
from shared.adapters.objectstore.port import FINALIZED, ObjectInfo, ObjectStore
from shared.errors import BadRequest, NotFound, PreconditionFailed

BAD_PATHS = [
    "",
    "/abs/x",
    "../escape",
    "a/../../b",
    "a//b",
    "a/",
    "./a",
    "a/./b",
    "nul\x00byte",
    "line\nbreak",
]


@pytest.fixture(params=OBJECT_STORE_FACTORIES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    with request.param(tmp_path) as adapter:
        yield adapter


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for ``condition`` (events may arrive asynchronously on cloud adapters)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


# -- reads and writes ---------------------------------------------------------------------------


def test_put_then_get_and_head_return_the_bytes_and_metadata(store: ObjectStore) -> None:
    info = store.put("dash/a.yaml", b"title: A\n", content_type="application/yaml", metadata={"team": "t1"})

    got = store.get("dash/a.yaml")
    assert got.data == b"title: A\n"
    assert got.info == info
    assert (info.path, info.size, info.content_type, info.metadata) == (
        "dash/a.yaml",
        9,
        "application/yaml",
        {"team": "t1"},
    )
    assert info.updated.tzinfo is not None
    assert store.head("dash/a.yaml") == info


def test_missing_object_is_not_found_and_head_is_none(store: ObjectStore) -> None:
    with pytest.raises(NotFound):
        store.get("nothing/here")
    assert store.head("nothing/here") is None
    assert store.versions("nothing/here") == []


def test_each_put_creates_a_larger_generation_and_keeps_the_old_ones(store: ObjectStore) -> None:
    infos = [store.put("log.jsonl", f"v{i}".encode(), metadata={"i": str(i)}) for i in range(4)]

    generations = [i.generation for i in infos]
    assert generations == sorted(set(generations))
    assert store.get("log.jsonl").data == b"v3"
    assert [v.generation for v in store.versions("log.jsonl")] == generations
    for i, info in enumerate(infos):
        old = store.get("log.jsonl", generation=info.generation)
        assert old.data == f"v{i}".encode()
        assert old.info.metadata == {"i": str(i)}


def test_unknown_generation_is_not_found(store: ObjectStore) -> None:
    info = store.put("x", b"1")
    with pytest.raises(NotFound):
        store.get("x", generation=info.generation + 12345)


def test_list_returns_live_objects_under_a_prefix_sorted_by_path(store: ObjectStore) -> None:
    for path in ["t1/b.yaml", "t1/a.yaml", "t1/sub/c.yaml", "t10/d.yaml", "t2/e.yaml"]:
        store.put(path, path.encode())
    store.put("t1/gone.yaml", b"x")
    store.delete("t1/gone.yaml")

    assert [i.path for i in store.list("t1/")] == ["t1/a.yaml", "t1/b.yaml", "t1/sub/c.yaml"]
    assert [i.path for i in store.list("t1")] == ["t1/a.yaml", "t1/b.yaml", "t1/sub/c.yaml", "t10/d.yaml"]
    assert [i.path for i in store.list("t1/sub/c")] == ["t1/sub/c.yaml"]
    assert store.list("nope/") == []
    assert len(store.list("")) == 5


def test_an_object_and_a_prefix_may_share_a_name(store: ObjectStore) -> None:
    store.put("a/b", b"object")
    store.put("a/b/c", b"nested")

    assert store.get("a/b").data == b"object"
    assert store.get("a/b/c").data == b"nested"
    assert [i.path for i in store.list("a/")] == ["a/b", "a/b/c"]


def test_delete_removes_the_live_object_but_keeps_generations(store: ObjectStore) -> None:
    first = store.put("doc", b"one")
    second = store.put("doc", b"two")

    store.delete("doc")

    assert store.head("doc") is None
    with pytest.raises(NotFound):
        store.get("doc")
    assert store.get("doc", generation=first.generation).data == b"one"
    assert [v.generation for v in store.versions("doc")] == [first.generation, second.generation]
    store.delete("doc")  # absent is not an error
    third = store.put("doc", b"three")
    assert third.generation > second.generation


def test_unicode_and_odd_characters_in_paths_round_trip(store: ObjectStore) -> None:
    path = "teams/Zürich %40 team/dash board@v1.yaml"
    store.put(path, b"ok")

    assert store.get(path).data == b"ok"
    assert [i.path for i in store.list("teams/Z")] == [path]


# -- preconditions ------------------------------------------------------------------------------


def test_create_only_succeeds_once(store: ObjectStore) -> None:
    store.put("lock", b"first", if_generation_match=0)

    with pytest.raises(PreconditionFailed) as failed:
        store.put("lock", b"second", if_generation_match=0)

    assert failed.value.details["path"] == "lock"
    assert failed.value.details["expected_generation"] == 0
    assert store.get("lock").data == b"first"


def test_compare_and_swap_succeeds_on_the_live_generation(store: ObjectStore) -> None:
    first = store.put("state", b"1")
    second = store.put("state", b"2", if_generation_match=first.generation)

    assert second.generation > first.generation
    assert store.get("state").data == b"2"


def test_compare_and_swap_on_a_stale_generation_fails_and_writes_nothing(store: ObjectStore) -> None:
    first = store.put("state", b"1")
    second = store.put("state", b"2")

    with pytest.raises(PreconditionFailed) as failed:
        store.put("state", b"stale", if_generation_match=first.generation)

    assert failed.value.details == {
        "path": "state",
        "expected_generation": first.generation,
        "actual_generation": second.generation,
    }
    assert store.get("state").data == b"2"
    assert len(store.versions("state")) == 2


def test_compare_and_swap_on_an_absent_object_fails(store: ObjectStore) -> None:
    info = store.put("gone", b"x")
    store.delete("gone")

    with pytest.raises(PreconditionFailed):
        store.put("gone", b"y", if_generation_match=info.generation)
    store.put("gone", b"z", if_generation_match=0)
    assert store.get("gone").data == b"z"


def test_delete_with_a_stale_generation_fails(store: ObjectStore) -> None:
    first = store.put("d", b"1")
    store.put("d", b"2")

    with pytest.raises(PreconditionFailed):
        store.delete("d", if_generation_match=first.generation)
    assert store.get("d").data == b"2"


def test_a_negative_precondition_is_a_bad_request(store: ObjectStore) -> None:
    with pytest.raises(BadRequest):
        store.put("p", b"x", if_generation_match=-1)
    with pytest.raises(BadRequest):
        store.delete("p", if_generation_match=-1)
    assert store.head("p") is None


def test_concurrent_compare_and_swap_from_8_threads_has_exactly_one_winner(store: ObjectStore) -> None:
    base = store.put("counter", b"0")
    barrier = threading.Barrier(8)
    wins: list[int] = []
    conflicts: list[int] = []

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            store.put("counter", str(i).encode(), if_generation_match=base.generation)
            wins.append(i)
        except PreconditionFailed:
            conflicts.append(i)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(wins) == 1
    assert len(conflicts) == 7
    assert store.get("counter").data == str(wins[0]).encode()
    assert len(store.versions("counter")) == 2


def test_a_reader_never_sees_a_torn_object(store: ObjectStore) -> None:
    size = 256 * 1024
    store.put("big", b"a" * size, metadata={"fill": "a"})
    stop = threading.Event()
    torn: list[str] = []

    def read() -> None:
        while not stop.is_set():
            got = store.get("big")
            fill = got.info.metadata["fill"].encode()
            if got.data != fill * size or got.info.size != size:
                torn.append(got.info.metadata["fill"])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(30):
            fill = "ab"[i % 2]
            store.put("big", fill.encode() * size, metadata={"fill": fill})
    finally:
        stop.set()
        reader.join()
    assert torn == []


# -- path validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", BAD_PATHS)
def test_unsafe_paths_are_rejected_everywhere(store: ObjectStore, path: str) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: store.put(path, b"x"),
        lambda: store.get(path),
        lambda: store.head(path),
        lambda: store.versions(path),
        lambda: store.delete(path),
    ]
    for call in calls:
        with pytest.raises(BadRequest):
            call()


# -- finalize events ----------------------------------------------------------------------------


def test_each_put_emits_one_finalize_event_shaped_like_gcs(store: ObjectStore) -> None:
    events: list[CloudEvent] = []
    store.subscribe(events.append)

    info = store.put("dash/t1/rev.yaml", b"title: R\n", content_type="application/yaml", metadata={"k": "v"})
    eventually(lambda: len(events) >= 1)

    (event,) = events
    assert event["type"] == FINALIZED == "google.cloud.storage.object.v1.finalized"
    assert event["source"] == f"//storage.googleapis.com/projects/_/buckets/{store.bucket}"
    assert event["subject"] == "objects/dash/t1/rev.yaml"
    assert event["specversion"] == "1.0"
    data = event.data
    assert data["bucket"] == store.bucket
    assert data["name"] == "dash/t1/rev.yaml"
    assert data["generation"] == str(info.generation)
    assert data["metageneration"] == "1"
    assert data["contentType"] == "application/yaml"
    assert data["size"] == "9"
    assert data["metadata"] == {"k": "v"}
    for key in ("timeCreated", "updated"):
        assert data[key].endswith("Z")
        assert datetime.fromisoformat(data[key].replace("Z", "+00:00")).tzinfo is not None
    assert parse_finalize_event(event) == (store.bucket, "dash/t1/rev.yaml", info.generation)


def test_event_ids_are_unique_per_generation(store: ObjectStore) -> None:
    events: list[CloudEvent] = []
    store.subscribe(events.append)

    for i in range(3):
        store.put("same", str(i).encode())
    store.put("other", b"x")
    eventually(lambda: len(events) >= 4)

    assert len({e["id"] for e in events}) == 4
    assert sorted(int(e.data["generation"]) for e in events if e.data["name"] == "same") == [
        v.generation for v in store.versions("same")
    ]


def test_failed_puts_emit_no_event(store: ObjectStore) -> None:
    events: list[CloudEvent] = []
    store.subscribe(events.append)
    store.put("once", b"1", if_generation_match=0)

    with pytest.raises(PreconditionFailed):
        store.put("once", b"2", if_generation_match=0)
    with pytest.raises(BadRequest):
        store.put("../bad", b"3")
    store.put("marker", b"m")  # the last event, so waiting for it covers any earlier stray one
    eventually(lambda: any(e.data["name"] == "marker" for e in events))

    assert [e.data["name"] for e in events] == ["once", "marker"]


def test_a_failing_subscriber_does_not_fail_the_put(store: ObjectStore) -> None:
    received: list[CloudEvent] = []

    def broken(event: CloudEvent) -> None:
        raise RuntimeError("subscriber bug")

    store.subscribe(broken)
    store.subscribe(received.append)

    info = store.put("still/ok", b"1")
    eventually(lambda: len(received) == 1)

    assert store.get("still/ok").info == info


# -- event helpers ------------------------------------------------------------------------------


def test_finalize_event_omits_metadata_when_there_is_none_like_gcs() -> None:
    info = ObjectInfo(
        path="p/q", generation=1700000000123456, size=3, updated=datetime.fromtimestamp(0).astimezone()
    )
    event = finalize_event("b", info)

    assert "metadata" not in event.data
    assert event.data["id"] == "b/p/q/1700000000123456"
    assert event.data["timeCreated"] == "1970-01-01T00:00:00.000Z"


def test_parse_finalize_event_accepts_json_data_and_rejects_other_events() -> None:
    attributes = {"type": FINALIZED, "source": "//storage.googleapis.com/projects/_/buckets/b", "id": "1"}
    raw = json.dumps({"bucket": "b", "name": "x/y", "generation": "42"}).encode()

    assert parse_finalize_event(CloudEvent(attributes, raw)) == ("b", "x/y", 42)
    with pytest.raises(BadRequest):
        parse_finalize_event(CloudEvent({**attributes, "type": "google.cloud.storage.object.v1.deleted"}, {}))
    with pytest.raises(BadRequest):
        parse_finalize_event(CloudEvent(attributes, {"bucket": "b", "name": "x", "generation": "abc"}))
    with pytest.raises(BadRequest):
        parse_finalize_event(CloudEvent(attributes, {"name": "x", "generation": "1"}))


# -- local folder only --------------------------------------------------------------------------


def _cas_in_process(root: str, generation: int, label: str, barrier: Any, results: Any) -> None:
    store = LocalObjectStore(Path(root), bucket="race")
    barrier.wait()
    try:
        store.put("race", label.encode(), if_generation_match=generation)
        results.put((label, "won"))
    except PreconditionFailed:
        results.put((label, "lost"))


def test_local_compare_and_swap_race_across_4_processes_has_exactly_one_winner(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path, bucket="race")
    base = store.put("race", b"base")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_cas_in_process, args=(str(tmp_path), base.generation, f"p{i}", barrier, results))
        for i in range(4)
    ]
    for p in procs:
        p.start()
    outcomes = dict(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)

    winners = [label for label, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    assert sorted(outcomes.values()) == ["lost", "lost", "lost", "won"]
    assert store.get("race").data == winners[0].encode()
    assert len(store.versions("race")) == 2


def test_local_store_reads_objects_written_by_another_instance(tmp_path: Path) -> None:
    LocalObjectStore(tmp_path).put("shared/x", b"from A")

    other = LocalObjectStore(tmp_path)
    assert other.get("shared/x").data == b"from A"
    assert [i.path for i in other.list("shared/")] == ["shared/x"]


def test_local_unsafe_paths_never_touch_files_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "bucket"
    store = LocalObjectStore(root)
    for path in BAD_PATHS:
        with pytest.raises(BadRequest):
            store.put(path, b"x")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["bucket"]
    assert list(root.iterdir()) == []


def test_local_failing_subscriber_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = LocalObjectStore(tmp_path)

    def broken(event: CloudEvent) -> None:
        raise RuntimeError("subscriber bug")

    store.subscribe(broken)
    store.put("x", b"1")

    assert "subscriber bug" in caplog.text


SEGMENTS = st.text(
    alphabet=st.characters(blacklist_characters="/\x00\r\n", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", ".."))


@settings(max_examples=60, deadline=None)
@given(
    paths=st.lists(
        st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join), min_size=1, max_size=5, unique=True
    )
)
def test_local_any_valid_paths_round_trip_and_list_exactly(paths: list[str]) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = LocalObjectStore(Path(root))
        for path in paths:
            store.put(path, path.encode())

        assert [store.get(p).data for p in paths] == [p.encode() for p in paths]
        assert [i.path for i in store.list("")] == sorted(paths)
