"""Google-signed ID tokens verified with google-auth: Identity Platform (Firebase) or Google accounts.

- Identity Platform tokens are signed by ``securetoken@system.gserviceaccount.com``; their
  audience is the project id and their issuer ``https://securetoken.google.com/<project>``.
- Google account ID tokens (``firebase=False``) are signed by Google's OAuth2 keys; their
  audience is the OAuth client id and their issuer ``accounts.google.com``.

Either way the token must carry a verified email and a subject. ``user_id`` is that email,
because teams invite members by email before they ever sign in; the provider's stable ``sub``
travels as ``Principal.subject``. Clocks may differ by up to ``CLOCK_SKEW_S`` seconds. ``emulator=True``
(``BRIDGE_AUTH_EMULATOR_HOST``, refused on Google Cloud) accepts the Firebase Auth emulator's
unsigned tokens, checking only their claims. Google's signing certs are fetched through
:class:`CachingRequest`, which keeps them for as long as Google's ``Cache-Control`` allows, so a
warm instance verifies tokens without a network round trip. google-auth is imported on first use.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from shared.adapters.identity.port import Principal
from shared.errors import BridgeError, Unauthorized, Unavailable

_MAX_AGE = re.compile(r"max-age=(\d+)")
_GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CLOCK_SKEW_S = 30  # an instance's clock may trail the issuer's: "Token used too early" otherwise


class CachingRequest:
    """A google-auth transport request that caches successful GETs by their ``Cache-Control`` max-age."""

    def __init__(self, inner: Any = None, *, default_ttl_s: float = 0.0) -> None:
        self._inner = inner
        self._default_ttl_s = default_ttl_s
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __call__(
        self, url: str, method: str = "GET", body: Any = None, headers: Any = None, **kwargs: Any
    ) -> Any:
        if method != "GET" or body is not None:
            return self._transport()(url, method=method, body=body, headers=headers, **kwargs)
        with self._lock:
            hit = self._cache.get(url)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        response = self._transport()(url, method=method, headers=headers, **kwargs)
        if response.status == 200:
            ttl = self._ttl(response.headers)
            if ttl > 0:
                with self._lock:
                    self._cache[url] = (time.monotonic() + ttl, response)
        return response

    def _transport(self) -> Any:
        if self._inner is None:
            from google.auth.transport.requests import Request

            self._inner = Request()
        return self._inner

    def _ttl(self, headers: Any) -> float:
        control = str((headers or {}).get("cache-control") or (headers or {}).get("Cache-Control") or "")
        found = _MAX_AGE.search(control)
        return float(found.group(1)) if found else self._default_ttl_s


class GoogleIdentity:
    """:class:`~shared.adapters.identity.port.Identity` for Google-signed ID tokens; ``firebase=True`` for Identity Platform."""

    def __init__(
        self, audience: str, *, firebase: bool = True, request: Any = None, emulator: bool = False
    ) -> None:
        if not audience:
            raise BridgeError(
                "Google sign-in is not configured: set BRIDGE_AUTH_AUDIENCE or BRIDGE_GCP_PROJECT"
            )
        self._audience = audience
        self._firebase = firebase
        self._emulator = emulator and firebase
        self._request = request or CachingRequest()

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; :class:`Unauthorized` otherwise, Unavailable if certs cannot load."""
        if not isinstance(token, str) or not token:
            raise Unauthorized("missing ID token")
        from google.auth import exceptions as auth_exceptions
        from google.oauth2 import id_token

        try:
            if self._emulator:
                claims = _emulator_claims(token, self._audience)
            elif self._firebase:
                claims = id_token.verify_firebase_token(
                    token, self._request, audience=self._audience, clock_skew_in_seconds=CLOCK_SKEW_S
                )
            else:
                claims = id_token.verify_oauth2_token(
                    token, self._request, audience=self._audience, clock_skew_in_seconds=CLOCK_SKEW_S
                )
        except auth_exceptions.TransportError as e:
            raise Unavailable("could not fetch Google's token signing keys") from e
        except (ValueError, auth_exceptions.GoogleAuthError) as e:
            raise Unauthorized(f"invalid Google ID token: {_reason(e)}") from None
        expected = (
            (f"https://securetoken.google.com/{self._audience}",) if self._firebase else _GOOGLE_ISSUERS
        )
        if not claims or claims.get("iss") not in expected:
            raise Unauthorized("ID token was not issued for this project")
        if not claims.get("sub"):
            raise Unauthorized("ID token has no subject")
        if not claims.get("email") or claims.get("email_verified") is not True:
            raise Unauthorized("ID token has no verified email")
        email = str(claims["email"]).lower()
        exp = claims.get("exp")
        return Principal(
            user_id=email,
            email=email,
            expires_at=float(exp) if exp is not None else None,
            subject=str(claims["sub"]),
        )


def _emulator_claims(token: str, audience: str) -> dict[str, Any]:
    """Claims of a Firebase Auth emulator token: unsigned by design, so only its claims are checked
    (as the Firebase Admin SDKs do under ``FIREBASE_AUTH_EMULATOR_HOST``). Never on Google Cloud."""
    from google.auth import jwt

    claims: dict[str, Any] = jwt.decode(token, verify=False)
    now = time.time()
    if float(claims.get("iat", 0)) > now + CLOCK_SKEW_S:
        raise ValueError("Token used too early")
    if float(claims.get("exp", 0)) < now - CLOCK_SKEW_S:
        raise ValueError("Token expired")
    if claims.get("aud") != audience:
        raise ValueError("Token has wrong audience")
    return claims


def _reason(error: Exception) -> str:
    text = str(error)
    if "expired" in text.lower():
        return "token expired"
    if "audience" in text.lower():
        return "wrong audience"
    return type(error).__name__
