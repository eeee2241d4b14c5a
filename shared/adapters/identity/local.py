"""Locally signed dev tokens (HS256 JWT), printed by ``bridge token EMAIL``."""

from __future__ import annotations

import time

import jwt

from shared.adapters.identity.hs256 import AUDIENCE, ISSUER
from shared.adapters.identity.port import Principal
from shared.errors import Unauthorized

__all__ = ["AUDIENCE", "ISSUER", "LocalIdentity"]


class LocalIdentity:
    """Issues and verifies HS256 tokens signed with a local secret."""

    def __init__(self, secret: str, *, ttl_s: int = 30 * 24 * 3600) -> None:
        self._secret = secret
        self._ttl_s = ttl_s

    @property
    def secret(self) -> str:
        """The signing secret (other short-lived tokens derive their keys from it)."""
        return self._secret

    def issue(self, email: str) -> str:
        email = email.strip().lower()
        now = int(time.time())
        claims = {
            "sub": email,
            "email": email,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + self._ttl_s,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "email", "exp"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from None
        email = str(claims["email"]).lower()
        return Principal(
            user_id=email, email=email, expires_at=float(claims["exp"]), subject=str(claims["sub"])
        )
