"""GCS adapter specifics beyond the object store contract (which it passes on FakeGcsServer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.objectstore.gcs import GcsObjectStore
from shared.errors import BadRequest, PreconditionFailed

from .fake_gcs import FakeGcsServer
from .stores import anonymous

BUCKET = "bridge-dashboards"


@pytest.fixture
def gcs() -> Iterator[FakeGcsServer]:
    fake = FakeGcsServer((BUCKET,))
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def store(gcs: FakeGcsServer) -> GcsObjectStore:
    return GcsObjectStore(
        BUCKET, project="bridge-test", client_options={"api_endpoint": gcs.url}, credentials=anonymous()
    )


def test_the_client_is_created_on_first_use_and_then_reused(store: GcsObjectStore) -> None:
    assert store._handle is None

    store.put("a", b"1")
    client = store.client
    store.get("a")

    assert store.client is client


def test_subscribe_is_a_no_op_because_eventarc_delivers_finalize_events(store: GcsObjectStore) -> None:
    received: list[object] = []
    store.subscribe(received.append)

    store.put("dash/t1/a.yaml", b"title: A\n")

    assert received == []


def test_create_only_conflict_reports_the_live_generation(store: GcsObjectStore) -> None:
    first = store.put("lock", b"1", if_generation_match=0)

    with pytest.raises(PreconditionFailed) as failed:
        store.put("lock", b"2", if_generation_match=0)

    assert failed.value.details == {
        "path": "lock",
        "expected_generation": 0,
        "actual_generation": first.generation,
    }
    assert failed.value.status == 409


@pytest.mark.parametrize("first", [0, None], ids=["create-only", "compare-and-swap"])
def test_a_preconditioned_upload_whose_answer_was_lost_is_not_a_false_conflict(
    store: GcsObjectStore, gcs: FakeGcsServer, first: int | None
) -> None:
    expected = 0 if first == 0 else store.put("doc", b"v1").generation
    gcs.lose_upload_answers = 1

    info = store.put("doc", b"v2", if_generation_match=expected, metadata={"team": "t1"})

    assert info.generation == store.head("doc").generation  # type: ignore[union-attr]
    assert info.metadata == {"team": "t1"}
    assert store.get("doc").data == b"v2"
    with pytest.raises(PreconditionFailed):  # a real conflict is still one
        store.put("doc", b"v3", if_generation_match=expected)


def test_delete_with_a_generation_of_an_absent_object_fails_but_create_only_delete_passes(
    store: GcsObjectStore,
) -> None:
    with pytest.raises(PreconditionFailed):
        store.delete("never", if_generation_match=123)
    store.delete("never", if_generation_match=0)
    store.delete("never")


def test_a_listing_longer_than_one_page_is_read_to_the_end(store: GcsObjectStore, gcs: FakeGcsServer) -> None:
    gcs.page_size = 3
    for i in range(8):
        store.put(f"many/{i}", b"x")
    store.put("many/3", b"again")

    assert [info.path for info in store.list("many/")] == [f"many/{i}" for i in range(8)]
    assert len(store.versions("many/3")) == 2


def test_an_unsafe_list_prefix_is_a_bad_request(store: GcsObjectStore) -> None:
    for prefix in ("../", "a//", "/abs/"):
        with pytest.raises(BadRequest):
            store.list(prefix)


def test_an_empty_bucket_name_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        GcsObjectStore("")
