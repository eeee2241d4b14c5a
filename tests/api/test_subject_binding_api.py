"""Over HTTP: a token whose ``sub`` is not the one bound to its email is a 401 in the shared error shape;
``bridge rebind`` lets the operator move the binding."""

from __future__ import annotations

import time

import jwt
import pytest
import requests

from shared.dev.cli import main
from tests.api.test_http_contract import assert_error


def _token(secret: str, email: str, sub: str) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "sub": sub,
        "email": email,
        "iss": "bridge-local",
        "aud": "bridge",
        "iat": now,
        "exp": now + 600,
    }
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


def test_another_subject_for_a_bound_email_is_refused_until_rebound(
    dev_server, container, token, capsys: pytest.CaptureFixture[str]
) -> None:
    teams = f"{dev_server.url}/v1/teams"
    assert (
        requests.get(teams, headers=token("ann@example.com")).status_code == 200
    )  # dev sign-in binds sub=email
    assert requests.get(teams, headers=token("ann@example.com")).status_code == 200  # and keeps working

    other = _token(container.local_identity.secret, "ann@example.com", "recreated-uid")
    error = assert_error(requests.get(teams, headers=other), 401, "unauthorized")
    assert "another account" in error["message"]

    assert main(["rebind", "Ann@example.com", "recreated-uid"]) == 0
    assert "ann@example.com: ann@example.com -> recreated-uid" in capsys.readouterr().out
    assert requests.get(teams, headers=other).status_code == 200
    # a new token of the old account is refused (one already verified stays cached until its expiry, <= 5 min)
    old = _token(container.local_identity.secret, "ann@example.com", "ann@example.com")
    assert_error(requests.get(teams, headers=old), 401, "unauthorized")

    assert main(["rebind", "ann@example.com"]) == 0  # cleared: the next sign-in binds
    assert requests.get(teams, headers=token("ann@example.com")).status_code == 200
