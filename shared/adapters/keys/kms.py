"""Envelope encryption with the data key wrapped by Cloud KMS (google-cloud-kms).

Each secret gets a fresh AES-256 data key (:func:`shared.adapters.keys.envelope.seal`); KMS encrypts that
key under ``key_name`` with the caller's aad as ``additional_authenticated_data``, so a wrapped key
unwraps only with the same aad. Requests and responses carry CRC32C checksums, verified both ways
as Google recommends. KMS's INVALID_ARGUMENT (HTTP 400) on decrypt (wrong aad, tampering) becomes
:class:`DecryptionFailed`.

The envelope names the crypto key, not a version: KMS reads the version from its ciphertext, so
secrets sealed before a key rotation keep decrypting (while that version stays enabled).

google-cloud-kms is imported on first use and the client is created once per instance.
"""

from __future__ import annotations

import threading
from typing import Any

from shared.adapters.keys.envelope import seal, unseal
from shared.errors import BadRequest, BridgeError, DecryptionFailed, Forbidden, Unavailable


def crc32c(data: bytes) -> int:
    """CRC32C of ``data`` as KMS's ``*_crc32c`` fields carry it."""
    import google_crc32c

    return int(google_crc32c.value(data))


class KmsKeyManager:
    """:class:`~shared.adapters.keys.port.KeyManager` whose key-encryption key is a Cloud KMS crypto key."""

    def __init__(
        self,
        key_name: str,
        *,
        transport: str | None = None,
        client_options: dict[str, Any] | None = None,
        credentials: Any = None,
    ) -> None:
        if not key_name.startswith("projects/") or "/cryptoKeys/" not in key_name:
            raise BadRequest(
                "the KMS key must be projects/P/locations/L/keyRings/R/cryptoKeys/K (BRIDGE_KMS_KEY)",
                details={"kms_key": key_name},
            )
        self.key_name = key_name
        self._transport = transport
        self._client_options = client_options
        self._credentials = credentials
        self._lock = threading.Lock()
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The ``KeyManagementServiceClient``, created on first use."""
        with self._lock:
            if self._client is None:
                from google.cloud import kms

                self._client = kms.KeyManagementServiceClient(
                    transport=self._transport,
                    client_options=self._client_options,
                    credentials=self._credentials,
                )
            return self._client

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """An envelope holding ``plaintext`` under a fresh data key wrapped by KMS, bound to ``aad``."""
        return seal(plaintext, aad=aad, kek=self.key_name, wrap=self._wrap)

    def decrypt(self, envelope: bytes, *, aad: bytes) -> bytes:
        """The plaintext; :class:`DecryptionFailed` on tampering, a wrong aad or another key."""
        return unseal(envelope, aad=aad, unwrap=self._unwrap)

    def _wrap(self, data_key: bytes, aad: bytes) -> bytes:
        from google.api_core import exceptions as gexc

        try:
            response = self.client.encrypt(
                request={
                    "name": self.key_name,
                    "plaintext": data_key,
                    "plaintext_crc32c": crc32c(data_key),
                    "additional_authenticated_data": aad,
                    "additional_authenticated_data_crc32c": crc32c(aad),
                }
            )
        except gexc.GoogleAPICallError as e:
            raise _api_error("encrypt with", self.key_name, e) from e
        if not (
            response.verified_plaintext_crc32c and response.verified_additional_authenticated_data_crc32c
        ):
            raise Unavailable("KMS encrypt request was corrupted in transit (checksum not verified)")
        if crc32c(response.ciphertext) != response.ciphertext_crc32c:
            raise Unavailable("KMS encrypt response was corrupted in transit (ciphertext checksum)")
        return bytes(response.ciphertext)

    def _unwrap(self, kek: str, wrapped: bytes, aad: bytes) -> bytes:
        if kek != self.key_name:
            raise DecryptionFailed(f"secret was encrypted under another key ({kek})")
        from google.api_core import exceptions as gexc

        try:
            response = self.client.decrypt(
                request={
                    "name": self.key_name,
                    "ciphertext": wrapped,
                    "ciphertext_crc32c": crc32c(wrapped),
                    "additional_authenticated_data": aad,
                    "additional_authenticated_data_crc32c": crc32c(aad),
                }
            )
        except gexc.BadRequest as e:  # InvalidArgument over gRPC, 400 over REST
            raise DecryptionFailed(
                "KMS could not unwrap the data key: tampered, or bound to other associated data"
            ) from e
        except gexc.GoogleAPICallError as e:
            raise _api_error("decrypt with", self.key_name, e) from e
        if crc32c(response.plaintext) != response.plaintext_crc32c:
            raise Unavailable("KMS decrypt response was corrupted in transit (plaintext checksum)")
        return bytes(response.plaintext)


def _api_error(action: str, key: str, error: Exception) -> BridgeError:
    code = getattr(error, "code", None)
    if code in (401, 403):
        return Forbidden(f"this function's identity may not {action} KMS key {key}", details={"kms_key": key})
    if code == 404:
        return BridgeError(f"KMS key {key} does not exist (BRIDGE_KMS_KEY)", details={"kms_key": key})
    return Unavailable(f"Cloud KMS failed to {action.split()[0]} ({code or type(error).__name__})")
