"""A local stand-in for Google's token issuers: an RS256 key, tokens signed with it, its certs over HTTP.

google-auth verifies Google-signed tokens against certs it downloads from fixed Google URLs;
:class:`CertsFromFake` is a google-auth transport request that sends those downloads here.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt, jwt
from google.auth.transport import Request
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response

from .http import LocalHttpServer

CERTS_PATH = "/oauth2/v1/certs"
GOOGLE_CERT_URLS = (
    "https://www.googleapis.com/oauth2/v1/certs",
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com",
)


class TokenSigner:
    """An RSA key with a key id, minting JWTs the way Google signs ID tokens."""

    def __init__(self) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._signer = crypt.RSASigner.from_string(pem, key_id=self.kid)
        self.public_pem = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def certs(self) -> dict[str, str]:
        return {self.kid: self.public_pem}

    def mint(self, **claims: Any) -> str:
        """A signed token: ``iat``/``exp`` (one hour) filled in unless given; ``lifetime_s`` overrides."""
        now = int(time.time())
        lifetime = int(claims.pop("lifetime_s", 3600))
        return jwt.encode(self._signer, {"iat": now, "exp": now + lifetime, **claims}).decode()


class FakeGoogleIssuer:
    """A TokenSigner whose certs are served at ``{url}/oauth2/v1/certs`` with a Cache-Control max-age."""

    def __init__(self, max_age_s: int = 300) -> None:
        self.signer = TokenSigner()
        self.max_age_s = max_age_s
        self.cert_fetches = 0
        self.failing = False
        self._lock = threading.Lock()
        self._http = LocalHttpServer(self._wsgi)
        self.url = self._http.url

    def close(self) -> None:
        self._http.close()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = WsgiRequest(environ)
        if request.path != CERTS_PATH:
            return Response("not found", status=404)(environ, start_response)
        with self._lock:
            self.cert_fetches += 1
        if self.failing:
            return Response("unavailable", status=503)(environ, start_response)
        return Response(
            json.dumps(self.signer.certs()),
            content_type="application/json",
            headers={"Cache-Control": f"public, max-age={self.max_age_s}"},
        )(environ, start_response)


class CertsFromFake(Request):
    """A google-auth transport request that fetches Google's signing certs from a local issuer."""

    def __init__(self, issuer_url: str) -> None:
        from google.auth.transport.requests import Request as RequestsRequest

        self._issuer_url = issuer_url
        self._inner = RequestsRequest()

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
        if url.startswith(GOOGLE_CERT_URLS):
            url = self._issuer_url + CERTS_PATH
        return self._inner(url, method=method, **kwargs)
