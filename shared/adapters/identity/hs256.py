"""Bridge's own HS256 tokens checked with the standard library (no PyJWT, no cryptography).

A cold instance answering a cache hit verifies the caller's local token here. It accepts only
the tokens :meth:`shared.adapters.identity.local.LocalIdentity.issue` mints, in exactly that
shape (header ``alg``/``typ``, claims ``sub email iss aud iat exp``): a valid signature, Bridge's
issuer and audience, ``iat`` not in the future and ``exp`` not passed. Anything else is not
refused here but left to PyJWT (``None``), so this never admits a token PyJWT would refuse.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time

from shared.adapters.identity.port import Principal

ISSUER = "bridge-local"  # LocalIdentity signs with these two
AUDIENCE = "bridge"
_HEADER_KEYS = {"alg", "typ"}
_CLAIM_KEYS = {"sub", "email", "iss", "aud", "iat", "exp"}


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(token: str, secret: str, *, now: float | None = None) -> Principal | None:
    """The principal of a valid token of the usual shape; None when PyJWT must decide."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims, signature = json.loads(_b64(parts[0])), json.loads(_b64(parts[1])), _b64(parts[2])
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not set(header) <= _HEADER_KEYS:
        return None
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        return None
    if not isinstance(claims, dict) or set(claims) != _CLAIM_KEYS:
        return None
    sub, email, exp, iat = claims["sub"], claims["email"], claims["exp"], claims["iat"]
    if not (isinstance(sub, str) and sub and isinstance(email, str) and email):
        return None
    if not (type(exp) is int and type(iat) is int):
        return None
    at = time.time() if now is None else now
    if claims["iss"] != ISSUER or claims["aud"] != AUDIENCE or iat > at or exp <= at:
        return None
    email = email.lower()
    return Principal(user_id=email, email=email, expires_at=float(exp), subject=sub)
