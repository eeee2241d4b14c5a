"""Cloud Tasks adapter specifics beyond the task queue contract, and OIDC token verification.

Tokens are minted by FakeCloudTasksServer exactly as Cloud Tasks mints them (RS256, Google's
issuer, the service account's verified email); google-auth fetches the signing certs from it.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from shared.adapters.tasks import cloudtasks
from shared.adapters.tasks.cloudtasks import CloudTasksQueue, verify_oidc_token
from shared.adapters.tasks.naming import task_name
from shared.bootstrap import Container, set_container
from shared.errors import BadRequest, NotFound, Unauthorized
from shared.settings import Settings

from .fake_tasks import QUEUE, FakeCloudTasksServer, strip_signature
from .google_issuer import CertsFromFake
from .stores import TASKS_SERVICE_ACCOUNT, DispatchedCloudTasksQueue, cloud_tasks

AUDIENCE = "https://europe-west1-bridge-test.cloudfunctions.net/bridge-agent-step"


@pytest.fixture
def tasks() -> Iterator[tuple[DispatchedCloudTasksQueue, FakeCloudTasksServer]]:
    with cloud_tasks() as pair:
        yield pair


def test_a_task_is_an_oidc_signed_json_post_to_the_handler_route(
    tasks: tuple[DispatchedCloudTasksQueue, FakeCloudTasksServer],
) -> None:
    queue, server = tasks
    name = task_name("turn", "t1", "step", "0")

    assert queue.enqueue("agent_step", {"turn_id": "t1", "step": 0}, name=name, delay_s=30)

    ((body),) = server.created
    task = body["task"]
    assert task["name"] == f"{QUEUE}/tasks/{name}"
    http = task["httpRequest"]
    assert http["url"] == f"{queue.target_url}/tasks/agent_step"
    assert http["httpMethod"] in ("POST", 1)
    assert http["headers"] == {"Content-Type": "application/json"}
    assert json.loads(base64.b64decode(http["body"])) == {"turn_id": "t1", "step": 0}
    assert http["oidcToken"] == {"serviceAccountEmail": TASKS_SERVICE_ACCOUNT, "audience": queue.target_url}
    assert "scheduleTime" in task


def test_a_reused_name_is_deduplicated_by_cloud_tasks(
    tasks: tuple[DispatchedCloudTasksQueue, FakeCloudTasksServer],
) -> None:
    queue, server = tasks
    name = task_name("turn", "t2", "step", "1")

    assert queue.enqueue("agent_step", {"n": 1}, name=name, delay_s=60) is True
    assert queue.enqueue("agent_step", {"n": 2}, name=name, delay_s=60) is False
    assert len(server.created) == 2  # the second was sent, and refused by the server


def test_the_products_handlers_are_known_without_registering(
    tasks: tuple[DispatchedCloudTasksQueue, FakeCloudTasksServer],
) -> None:
    queue, _ = tasks
    assert {"agent_step", "precompute"} <= queue.handlers()
    with pytest.raises(NotFound):
        queue.enqueue("nobody", {})


def test_the_target_refuses_a_dispatch_without_a_valid_token(
    tasks: tuple[DispatchedCloudTasksQueue, FakeCloudTasksServer],
) -> None:
    queue, server = tasks
    calls: list[dict[str, object]] = []
    queue.register("record", calls.append)
    url = f"{queue.target_url}/tasks/record"

    missing = requests.post(url, json={"x": 1}, timeout=10)
    forged = requests.post(
        url,
        json={"x": 1},
        headers={"Authorization": f"Bearer {server.mint(queue.target_url, 'someone@evil.example')}"},
        timeout=10,
    )

    assert (missing.status_code, forged.status_code) == (401, 401)
    assert calls == []


@pytest.mark.parametrize(
    ("queue_path", "target", "account"),
    [
        ("queues/q", AUDIENCE, TASKS_SERVICE_ACCOUNT),
        (QUEUE, "not-a-url", TASKS_SERVICE_ACCOUNT),
        (QUEUE, AUDIENCE, ""),
    ],
)
def test_incomplete_configuration_is_a_bad_request(queue_path: str, target: str, account: str) -> None:
    with pytest.raises(BadRequest):
        CloudTasksQueue(queue_path, target_url=target, service_account=account)


# -- OIDC verification ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issuer() -> Iterator[FakeCloudTasksServer]:
    server = FakeCloudTasksServer()
    try:
        yield server
    finally:
        server.close()


def test_a_token_for_the_service_account_verifies(issuer: FakeCloudTasksServer) -> None:
    claims = verify_oidc_token(
        issuer.mint(AUDIENCE, TASKS_SERVICE_ACCOUNT),
        audience=AUDIENCE,
        email=TASKS_SERVICE_ACCOUNT,
        request=CertsFromFake(issuer.url),
    )
    assert claims["email"] == TASKS_SERVICE_ACCOUNT


@pytest.mark.parametrize(
    "case", ["other_email", "unverified", "other_audience", "expired", "garbage", "empty"]
)
def test_other_tokens_are_unauthorized(issuer: FakeCloudTasksServer, case: str) -> None:
    token = {
        "other_email": lambda: issuer.mint(AUDIENCE, "intruder@bridge-test.iam.gserviceaccount.com"),
        "unverified": lambda: issuer.mint(AUDIENCE, TASKS_SERVICE_ACCOUNT, verified=False),
        "other_audience": lambda: issuer.mint("https://elsewhere.example", TASKS_SERVICE_ACCOUNT),
        "expired": lambda: issuer.mint(AUDIENCE, TASKS_SERVICE_ACCOUNT, lifetime_s=-600),
        "garbage": lambda: "not.a.token",
        "empty": lambda: "",
    }[case]()

    with pytest.raises(Unauthorized):
        verify_oidc_token(
            token, audience=AUDIENCE, email=TASKS_SERVICE_ACCOUNT, request=CertsFromFake(issuer.url)
        )


@pytest.mark.parametrize("platform_verified", [True, False])
def test_a_token_whose_signature_google_removed_counts_only_where_the_platform_checked_it(
    issuer: FakeCloudTasksServer, platform_verified: bool
) -> None:
    token = strip_signature(issuer.mint(AUDIENCE, TASKS_SERVICE_ACCOUNT))

    def verify() -> dict[str, object]:
        return verify_oidc_token(
            token,
            audience=AUDIENCE,
            email=TASKS_SERVICE_ACCOUNT,
            request=CertsFromFake(issuer.url),
            platform_verified=platform_verified,
        )

    if platform_verified:
        assert verify()["email"] == TASKS_SERVICE_ACCOUNT
    else:
        with pytest.raises(Unauthorized, match="no signature"):
            verify()


@pytest.mark.parametrize("case", ["other_email", "unverified", "other_audience", "expired", "future"])
def test_an_unsigned_token_still_needs_the_right_claims(issuer: FakeCloudTasksServer, case: str) -> None:
    minted = {
        "other_email": lambda: issuer.mint(AUDIENCE, "intruder@bridge-test.iam.gserviceaccount.com"),
        "unverified": lambda: issuer.mint(AUDIENCE, TASKS_SERVICE_ACCOUNT, verified=False),
        "other_audience": lambda: issuer.mint("https://elsewhere.example", TASKS_SERVICE_ACCOUNT),
        "expired": lambda: issuer.mint(AUDIENCE, TASKS_SERVICE_ACCOUNT, lifetime_s=-600),
        "future": lambda: issuer._signer.mint(
            iss="https://accounts.google.com",
            aud=AUDIENCE,
            email=TASKS_SERVICE_ACCOUNT,
            email_verified=True,
            iat=int(time.time()) + 3600,
            exp=int(time.time()) + 7200,
        ),
    }[case]()

    with pytest.raises(Unauthorized):
        verify_oidc_token(
            strip_signature(minted),
            audience=AUDIENCE,
            email=TASKS_SERVICE_ACCOUNT,
            request=CertsFromFake(issuer.url),
            platform_verified=True,
        )


@pytest.mark.parametrize("platform_verified", [True, False])
def test_a_dispatch_through_a_front_end_that_strips_signatures(
    tasks: tuple[DispatchedCloudTasksQueue, FakeCloudTasksServer], platform_verified: bool
) -> None:
    queue, server = tasks
    server.strip_signature = True
    server.max_attempts = 1
    sys.modules["tasks_target"].CONFIG["platform_verified"] = platform_verified
    calls: list[dict[str, object]] = []
    queue.register("record", calls.append)

    queue.enqueue("record", {"x": 1})

    assert server.wait_idle(10)
    assert calls == ([{"x": 1}] if platform_verified else [])
    assert len(server.dead) == (0 if platform_verified else 1)


@pytest.fixture
def agent_step_route(
    issuer: FakeCloudTasksServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FlaskClient]:
    """The real ``POST /tasks/<handler>`` blueprint with Cloud Tasks settings."""
    from shared.entry.app import create_app
    from shared.entry.routes.tasks import bp

    settings = Settings(
        data_dir=tmp_path,
        task_queue="cloudtasks",
        tasks_queue=QUEUE,
        tasks_target_url=AUDIENCE,
        tasks_service_account=TASKS_SERVICE_ACCOUNT,
    )
    set_container(Container(settings))
    monkeypatch.setattr(cloudtasks, "_default_request", CertsFromFake(issuer.url))
    try:
        yield create_app([bp], name="agent_step-test").test_client()
    finally:
        set_container(None)


def test_the_agent_step_route_checks_the_token_before_anything_else(
    agent_step_route: FlaskClient, issuer: FakeCloudTasksServer
) -> None:
    good = {"Authorization": f"Bearer {issuer.mint(AUDIENCE, TASKS_SERVICE_ACCOUNT)}"}
    bad = {"Authorization": f"Bearer {issuer.mint(AUDIENCE, 'intruder@bridge-test.iam.gserviceaccount.com')}"}

    assert agent_step_route.post("/tasks/nobody", json={}, headers=bad).status_code == 401
    assert agent_step_route.post("/tasks/nobody", json={}).status_code == 401
    answer = agent_step_route.post("/tasks/nobody", json={}, headers=good)
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"
