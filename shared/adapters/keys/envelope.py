"""The envelope format shared by every key manager, and the AES-256-GCM payload layer.

An envelope is a versioned JSON document::

    {"v": 1, "kek": "<key id or KMS key name>", "wrapped_key": b64, "nonce": b64, "ciphertext": b64}

The payload is encrypted with a fresh 256-bit data key under AES-GCM and the caller's aad; the
data key is wrapped by a key-encryption key (a local key, or Cloud KMS) bound to the same aad.
Key managers only supply ``wrap`` and ``unwrap``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.errors import BadRequest, DecryptionFailed

VERSION = 1
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
_FIELDS = {"v", "kek", "wrapped_key", "nonce", "ciphertext"}

# wrap(data_key, aad) -> wrapped key; unwrap(kek, wrapped_key, aad) -> data key.
Wrap = Callable[[bytes, bytes], bytes]
Unwrap = Callable[[str, bytes, bytes], bytes]


@dataclass(frozen=True)
class Envelope:
    """One encrypted secret: the wrapped data key and the payload it encrypts."""

    kek: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "v": VERSION,
                "kek": self.kek,
                "wrapped_key": _b64(self.wrapped_key),
                "nonce": _b64(self.nonce),
                "ciphertext": _b64(self.ciphertext),
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse strictly; anything but a well-formed v1 envelope raises :class:`DecryptionFailed`."""
        try:
            doc: Any = json.loads(raw)
        except (ValueError, TypeError, RecursionError) as e:
            raise DecryptionFailed("malformed envelope: not JSON") from e
        if not isinstance(doc, dict) or set(doc) != _FIELDS:
            raise DecryptionFailed(f"malformed envelope: expected exactly the fields {sorted(_FIELDS)}")
        if type(doc["v"]) is not int or doc["v"] != VERSION:
            raise DecryptionFailed(f"unsupported envelope version {doc['v']!r}")
        if not isinstance(doc["kek"], str) or not doc["kek"]:
            raise DecryptionFailed("malformed envelope: 'kek' must be a non-empty string")
        envelope = cls(
            kek=doc["kek"],
            wrapped_key=_unb64(doc["wrapped_key"], "wrapped_key"),
            nonce=_unb64(doc["nonce"], "nonce"),
            ciphertext=_unb64(doc["ciphertext"], "ciphertext"),
        )
        if len(envelope.nonce) != NONCE_BYTES:
            raise DecryptionFailed(f"malformed envelope: nonce must be {NONCE_BYTES} bytes")
        return envelope


def seal(plaintext: bytes, *, aad: bytes, kek: str, wrap: Wrap) -> bytes:
    """Encrypt ``plaintext`` under a fresh data key, wrap that key, and return the envelope bytes."""
    if not isinstance(plaintext, bytes | bytearray) or not isinstance(aad, bytes):
        raise BadRequest("plaintext and aad must be bytes")
    data_key = AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, bytes(plaintext), aad)
    return Envelope(kek=kek, wrapped_key=wrap(data_key, aad), nonce=nonce, ciphertext=ciphertext).to_bytes()


def unseal(raw: bytes, *, aad: bytes, unwrap: Unwrap) -> bytes:
    """Decrypt envelope bytes; :class:`DecryptionFailed` on any tampering, malformation or wrong aad.

    ``unwrap`` should raise :class:`DecryptionFailed` itself for a key it cannot unwrap; other
    Bridge errors it raises (e.g. ``Unavailable``) pass through.
    """
    if not isinstance(aad, bytes):
        raise DecryptionFailed("aad must be bytes")
    envelope = Envelope.from_bytes(raw)
    data_key = unwrap(envelope.kek, envelope.wrapped_key, aad)
    if len(data_key) != DATA_KEY_BYTES:
        raise DecryptionFailed("unwrapped data key has the wrong length")
    try:
        return AESGCM(data_key).decrypt(envelope.nonce, envelope.ciphertext, aad)
    except InvalidTag as e:
        raise DecryptionFailed("ciphertext was tampered with or is bound to other associated data") from e


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, field: str) -> bytes:
    """Strict, canonical base64: a changed character can never decode to the same bytes."""
    if not isinstance(value, str):
        raise DecryptionFailed(f"malformed envelope: {field!r} must be a base64 string")
    try:
        data = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as e:
        raise DecryptionFailed(f"malformed envelope: {field!r} is not base64") from e
    if _b64(data) != value:
        raise DecryptionFailed(f"malformed envelope: {field!r} is not canonical base64")
    return data
