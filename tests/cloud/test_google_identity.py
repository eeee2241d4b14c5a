"""GoogleIdentity: Identity Platform and Google ID tokens verified by google-auth against a local issuer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from shared.adapters.identity.google import CLOCK_SKEW_S, CachingRequest, GoogleIdentity
from shared.errors import BridgeError, Unauthorized, Unavailable

from .google_issuer import CertsFromFake, FakeGoogleIssuer

PROJECT = "bridge-test"
FIREBASE_ISSUER = f"https://securetoken.google.com/{PROJECT}"


@pytest.fixture
def issuer() -> Iterator[FakeGoogleIssuer]:
    server = FakeGoogleIssuer()
    try:
        yield server
    finally:
        server.close()


def identity(issuer: FakeGoogleIssuer, *, firebase: bool = True, audience: str = PROJECT) -> GoogleIdentity:
    return GoogleIdentity(audience, firebase=firebase, request=CachingRequest(CertsFromFake(issuer.url)))


def firebase_claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": FIREBASE_ISSUER,
        "aud": PROJECT,
        "sub": "uid-123",
        "email": "Ada@Example.com",
        "email_verified": True,
        "auth_time": 1_700_000_000,
    }
    return {**claims, **overrides}


def test_an_identity_platform_token_gives_the_verified_email(issuer: FakeGoogleIssuer) -> None:
    principal = identity(issuer).verify(issuer.signer.mint(**firebase_claims()))

    assert (principal.user_id, principal.email) == ("ada@example.com", "ada@example.com")
    assert principal.subject == "uid-123"


def test_a_token_issued_by_a_clock_a_few_seconds_ahead_is_accepted(issuer: FakeGoogleIssuer) -> None:
    ahead = int(time.time()) + 10
    token = issuer.signer.mint(**firebase_claims(iat=ahead, exp=ahead + 3600))

    assert identity(issuer).verify(token).email == "ada@example.com"


def test_a_token_issued_well_in_the_future_is_unauthorized(issuer: FakeGoogleIssuer) -> None:
    ahead = int(time.time()) + 10 * CLOCK_SKEW_S
    token = issuer.signer.mint(**firebase_claims(iat=ahead, exp=ahead + 3600))

    with pytest.raises(Unauthorized):
        identity(issuer).verify(token)


def test_a_google_account_token_verifies_in_oauth2_mode(issuer: FakeGoogleIssuer) -> None:
    client_id = "1234.apps.googleusercontent.com"
    token = issuer.signer.mint(**firebase_claims(iss="https://accounts.google.com", aud=client_id))

    assert identity(issuer, firebase=False, audience=client_id).verify(token).email == "ada@example.com"


@pytest.mark.parametrize(
    "claims",
    [
        firebase_claims(aud="another-project"),
        firebase_claims(iss="https://securetoken.google.com/another-project"),
        firebase_claims(iss="https://accounts.google.com"),
        firebase_claims(email_verified=False),
        firebase_claims(email=None),
        firebase_claims(sub=""),
        firebase_claims(lifetime_s=-600),
    ],
    ids=[
        "audience",
        "other-project-issuer",
        "google-issuer",
        "unverified",
        "no-email",
        "no-subject",
        "expired",
    ],
)
def test_tokens_not_for_this_project_and_user_are_unauthorized(
    issuer: FakeGoogleIssuer, claims: dict[str, Any]
) -> None:
    with pytest.raises(Unauthorized):
        identity(issuer).verify(issuer.signer.mint(**claims))


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_malformed_tokens_are_unauthorized(issuer: FakeGoogleIssuer, token: str) -> None:
    with pytest.raises(Unauthorized):
        identity(issuer).verify(token)


def test_a_token_signed_by_another_key_is_unauthorized(issuer: FakeGoogleIssuer) -> None:
    other = FakeGoogleIssuer()
    try:
        forged = other.signer.mint(**firebase_claims())
    finally:
        other.close()

    with pytest.raises(Unauthorized):
        identity(issuer).verify(forged)


def test_signing_certs_are_fetched_once_while_their_cache_lifetime_lasts(issuer: FakeGoogleIssuer) -> None:
    verifier = identity(issuer)
    for _ in range(3):
        verifier.verify(issuer.signer.mint(**firebase_claims()))

    assert issuer.cert_fetches == 1


def test_unreachable_certs_are_unavailable_not_unauthorized(issuer: FakeGoogleIssuer) -> None:
    issuer.failing = True

    with pytest.raises(Unavailable):
        identity(issuer).verify(issuer.signer.mint(**firebase_claims()))


def test_an_unconfigured_audience_is_a_configuration_error() -> None:
    with pytest.raises(BridgeError, match="BRIDGE_AUTH_AUDIENCE"):
        GoogleIdentity("")
