"""Google-signed ID tokens (Identity Platform / Firebase, or Google accounts) verified with google-auth."""

from __future__ import annotations

from typing import Any

from shared.errors import Unauthorized
from shared.identity.port import Principal


class GoogleIdentity:
    """Verifies Google ID tokens; ``firebase=True`` for Identity Platform tokens."""

    def __init__(self, audience: str, *, firebase: bool = True, request: Any = None) -> None:
        self._audience = audience
        self._firebase = firebase
        self._request = request

    def _transport(self) -> Any:
        if self._request is None:
            from google.auth.transport import requests as google_requests

            self._request = google_requests.Request()
        return self._request

    def verify(self, token: str) -> Principal:
        from google.oauth2 import id_token

        try:
            if self._firebase:
                claims = id_token.verify_firebase_token(token, self._transport(), audience=self._audience)
            else:
                claims = id_token.verify_oauth2_token(token, self._transport(), audience=self._audience)
        except Exception as exc:  # google-auth raises ValueError and transport errors alike
            raise Unauthorized(f"invalid Google ID token: {type(exc).__name__}") from None
        if not claims or not claims.get("email") or not claims.get("email_verified", False):
            raise Unauthorized("token has no verified email")
        email = str(claims["email"]).lower()
        return Principal(user_id=email, email=email)
