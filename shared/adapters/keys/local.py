"""Envelope encryption with a key-encryption key kept in a local file (laptops and tests)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.adapters.keys.envelope import DATA_KEY_BYTES, NONCE_BYTES, seal, unseal
from shared.errors import BridgeError, DecryptionFailed

KEK_BYTES = 32


def load_or_create_kek(key_file: Path) -> bytes:
    """The 32-byte key in ``key_file``, created atomically with mode 0600 when missing."""
    try:
        kek = key_file.read_bytes()
    except FileNotFoundError:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(KEK_BYTES))
                f.flush()
                os.fsync(f.fileno())
            # link() publishes a complete file and fails if a concurrent creator won the race.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, key_file)
        finally:
            os.unlink(tmp)
        kek = key_file.read_bytes()
    if len(kek) != KEK_BYTES:
        raise BridgeError(f"key file {key_file} must hold exactly {KEK_BYTES} bytes, found {len(kek)}")
    return kek


def key_id(kek: bytes) -> str:
    """A public name for ``kek``: a truncated hash, so envelopes say which key wrapped them."""
    return "local:" + hashlib.sha256(b"bridge-kek-id\x00" + kek).hexdigest()[:24]


class LocalKeyManager:
    """:class:`~shared.adapters.keys.port.KeyManager` whose key-encryption key lives in ``key_file``."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = Path(key_file)
        self._kek: bytes | None = None
        self._lock = threading.Lock()

    @property
    def key_id(self) -> str:
        return key_id(self._key())

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """An envelope holding ``plaintext`` under a fresh data key, bound to ``aad``."""
        kek = self._key()
        return seal(plaintext, aad=aad, kek=key_id(kek), wrap=lambda data_key, a: _wrap(kek, data_key, a))

    def decrypt(self, envelope: bytes, *, aad: bytes) -> bytes:
        """The plaintext; :class:`DecryptionFailed` on tampering, a wrong aad or another key."""
        try:
            kek = self._key()
        except BridgeError as e:
            raise DecryptionFailed(e.message) from e
        return unseal(envelope, aad=aad, unwrap=lambda name, wrapped, a: _unwrap(kek, name, wrapped, a))

    def _key(self) -> bytes:
        with self._lock:
            if self._kek is None:
                self._kek = load_or_create_kek(self.key_file)
            return self._kek


def _wrap(kek: bytes, data_key: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, aad)


def _unwrap(kek: bytes, name: str, wrapped: bytes, aad: bytes) -> bytes:
    if name != key_id(kek):
        raise DecryptionFailed(f"secret was encrypted under another key ({name})")
    if len(wrapped) != NONCE_BYTES + DATA_KEY_BYTES + 16:
        raise DecryptionFailed("wrapped data key has the wrong length")
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag as e:
        raise DecryptionFailed("data key was tampered with or is bound to other associated data") from e
