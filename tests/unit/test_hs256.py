"""The standard-library HS256 check admits only what PyJWT admits, and the same principal."""

from __future__ import annotations

import time

import jwt
import pytest

from shared.adapters.identity import hs256, local
from shared.adapters.identity.local import LocalIdentity
from shared.errors import Unauthorized

SECRET = "unit-secret-" + "0123456789" * 7


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "ann@example.com",
        "email": "Ann@Example.com",
        "iss": local.ISSUER,
        "aud": local.AUDIENCE,
        "iat": now - 5,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _pyjwt(token: str):
    try:
        return LocalIdentity(SECRET).verify(token)
    except Unauthorized:
        return None


def test_local_identity_mints_the_issuer_and_audience_hs256_checks() -> None:
    claims = jwt.decode(LocalIdentity(SECRET).issue("ann@example.com"), options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == (hs256.ISSUER, hs256.AUDIENCE)


def test_a_minted_token_gives_the_same_principal() -> None:
    token = LocalIdentity(SECRET).issue("Ann@Example.com")
    assert hs256.verify(token, SECRET) == LocalIdentity(SECRET).verify(token)


def _forged_signature() -> str:
    head, body, sig = LocalIdentity(SECRET).issue("ann@example.com").split(".")
    return f"{head}.{body}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(LocalIdentity("another-secret-0123456789-0123456789").issue("a@b.c"), id="other secret"),
        pytest.param(jwt.encode(_claims(exp=int(time.time()) - 1), SECRET, algorithm="HS256"), id="expired"),
        pytest.param(jwt.encode(_claims(aud="someone-else"), SECRET, algorithm="HS256"), id="audience"),
        pytest.param(jwt.encode(_claims(iss="elsewhere"), SECRET, algorithm="HS256"), id="issuer"),
        pytest.param(
            jwt.encode(_claims(iat=int(time.time()) + 600), SECRET, algorithm="HS256"), id="future iat"
        ),
        pytest.param(jwt.encode(_claims(exp=None), SECRET, algorithm="HS256"), id="no exp"),
        pytest.param(jwt.encode(_claims(nbf=int(time.time()) + 600), SECRET, algorithm="HS256"), id="nbf"),
        pytest.param(jwt.encode(_claims(), SECRET, algorithm="HS512"), id="HS512"),
        pytest.param(jwt.encode(_claims(), None, algorithm="none"), id="alg none"),
        pytest.param(
            jwt.encode(_claims(exp=str(int(time.time()) + 600)), SECRET, algorithm="HS256"), id="text exp"
        ),
        pytest.param(_forged_signature(), id="forged signature"),
        pytest.param("a.b", id="two parts"),
        pytest.param("!!.??.**", id="not base64"),
    ],
)
def test_anything_else_is_left_to_pyjwt(token: str) -> None:
    assert hs256.verify(token, SECRET) is None


def test_whatever_it_admits_pyjwt_admits_alike() -> None:
    now = int(time.time())
    variants = [
        _claims(),
        _claims(aud=[local.AUDIENCE]),  # PyJWT admits a list; here it is left to PyJWT
        _claims(iat=now),
        _claims(exp=now + 1),
        _claims(sub="other-subject"),
    ]
    for claims in variants:
        token = jwt.encode(claims, SECRET, algorithm="HS256")
        light = hs256.verify(token, SECRET)
        if light is not None:
            assert light == _pyjwt(token), claims
