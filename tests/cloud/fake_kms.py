"""FakeKmsServer: Cloud KMS's REST ``encrypt``/``decrypt`` for symmetric keys, computed locally.

Why a fake: no KMS emulator exists, and recorded responses cannot decrypt a fresh data key bound
to a fresh aad, so this server implements the two methods (``POST /v1/{cryptoKey}:encrypt`` and
``:decrypt``) with AES-256-GCM, the aad bound as GCM associated data, as KMS binds it. It speaks
the REST wire format the client's ``transport="rest"`` sends: camelCase JSON, base64 bytes,
int64 checksums as strings, and Google error bodies (400 INVALID_ARGUMENT when decryption fails,
400 when a request checksum does not match, 404 for an unknown key).
"""

from __future__ import annotations

import base64
import json
import os
import threading
from typing import Any

import google_crc32c
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from werkzeug.wrappers import Request, Response

from .http import LocalHttpServer

KEY_NAME = "projects/bridge-test/locations/europe-west1/keyRings/bridge/cryptoKeys/secrets"
_HEADER = b"\x0akv1"  # marks the key version that wrapped a ciphertext (KMS prefixes its own)
_NONCE = 12


class FakeKmsServer:
    """Symmetric crypto keys named in ``keys`` over HTTP on loopback."""

    def __init__(self, keys: tuple[str, ...] = (KEY_NAME,)) -> None:
        self._keys = {name: AESGCM(AESGCM.generate_key(bit_length=256)) for name in keys}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._http = LocalHttpServer(self._wsgi)
        self.url = self._http.url

    def close(self) -> None:
        self._http.close()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = _json(self._handle(request))
        except _Status as e:
            response = _json(
                {"error": {"code": e.code, "message": e.message, "status": e.status}}, status=e.code
            )
        return response(environ, start_response)

    def _handle(self, request: Request) -> dict[str, Any]:
        path = request.path
        if request.method != "POST" or not path.startswith("/v1/") or ":" not in path:
            raise _Status(404, "NOT_FOUND", f"no method at {request.method} {path}")
        name, _, method = path.removeprefix("/v1/").rpartition(":")
        body = json.loads(request.get_data() or b"{}")
        with self._lock:
            self.requests.append((method, body))
        key = self._keys.get(name)
        if key is None:
            raise _Status(404, "NOT_FOUND", f"CryptoKey {name} not found.")
        aad = _bytes(body, "additionalAuthenticatedData")
        _check_crc(body, "additionalAuthenticatedData", aad)
        if method == "encrypt":
            plaintext = _bytes(body, "plaintext")
            _check_crc(body, "plaintext", plaintext)
            nonce = os.urandom(_NONCE)
            ciphertext = _HEADER + nonce + key.encrypt(nonce, plaintext, aad)
            return {
                "name": f"{name}/cryptoKeyVersions/1",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "ciphertextCrc32c": str(_crc(ciphertext)),
                "verifiedPlaintextCrc32c": "plaintextCrc32c" in body,
                "verifiedAdditionalAuthenticatedDataCrc32c": "additionalAuthenticatedDataCrc32c" in body,
                "protectionLevel": "SOFTWARE",
            }
        if method == "decrypt":
            ciphertext = _bytes(body, "ciphertext")
            _check_crc(body, "ciphertext", ciphertext)
            if not ciphertext.startswith(_HEADER) or len(ciphertext) < len(_HEADER) + _NONCE + 16:
                raise _Status(400, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
            nonce = ciphertext[len(_HEADER) : len(_HEADER) + _NONCE]
            try:
                plaintext = key.decrypt(nonce, ciphertext[len(_HEADER) + _NONCE :], aad)
            except InvalidTag:
                raise _Status(
                    400, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid."
                ) from None
            return {
                "plaintext": base64.b64encode(plaintext).decode(),
                "plaintextCrc32c": str(_crc(plaintext)),
                "usedPrimary": True,
                "protectionLevel": "SOFTWARE",
            }
        raise _Status(404, "NOT_FOUND", f"method {method} is not implemented by FakeKmsServer")


class _Status(Exception):
    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def _bytes(body: dict[str, Any], field: str) -> bytes:
    return base64.b64decode(body.get(field, ""), validate=True)


def _crc(data: bytes) -> int:
    return int(google_crc32c.value(data))


def _check_crc(body: dict[str, Any], field: str, data: bytes) -> None:
    given = body.get(f"{field}Crc32c")
    if given is not None and int(given) != _crc(data):
        raise _Status(
            400,
            "INVALID_ARGUMENT",
            f"The checksum in field {field}_crc32c did not match the data in field {field}.",
        )


def _json(doc: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(doc), status=status, content_type="application/json; charset=UTF-8")
