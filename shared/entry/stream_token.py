"""Short-lived, session-scoped tokens for the chat event stream.

``EventSource`` cannot send headers, so the stream alone accepts ``?access_token=``, and there only
a token minted by an authenticated POST: HS256 over a key derived from the local identity secret,
bound to the user, the team and the chat session, valid for :data:`TTL_S` seconds. The user's
bearer token never goes into a URL (request logs keep query strings).
"""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt

from shared.adapters.identity.port import Principal
from shared.errors import Unauthorized

TTL_S = 300
AUDIENCE = "bridge-stream"
ISSUER = "bridge"
QUERY_PARAM = "access_token"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"bridge chat stream token v1", hashlib.sha256).digest()


def mint(
    secret: str, who: Principal, team_id: str, session_id: str, *, now: float | None = None
) -> tuple[str, int]:
    """A stream token for ``session_id`` and its expiry (epoch seconds)."""
    issued = int(time.time() if now is None else now)
    exp = issued + TTL_S
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": who.user_id,
        "email": who.email,
        "team": team_id,
        "sid": session_id,
        "iat": issued,
        "exp": exp,
    }
    return jwt.encode(claims, _key(secret), algorithm="HS256"), exp


def verify(secret: str, token: str, session_id: str) -> tuple[Principal, str]:
    """The principal and team id of a stream token valid for ``session_id``; 401 otherwise."""
    try:
        claims = jwt.decode(
            token,
            _key(secret),
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "email", "team", "sid", "exp"]},
        )
    except jwt.PyJWTError:
        raise Unauthorized("invalid or expired stream token; mint a new one") from None
    if not hmac.compare_digest(str(claims["sid"]), session_id):
        raise Unauthorized("the stream token is for another chat session")
    who = Principal(user_id=str(claims["sub"]), email=str(claims["email"]), expires_at=float(claims["exp"]))
    return who, str(claims["team"])
