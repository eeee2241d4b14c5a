"""The key manager port: envelope encryption bound to associated data."""

from __future__ import annotations

from typing import Protocol


def connection_aad(team_id: str, connection_id: str) -> bytes:
    """Associated data binding a secret to one team's connection."""
    return f"bridge:team={team_id}:connection={connection_id}".encode()


class KeyManager(Protocol):
    """Encrypts with a fresh data key per secret; the data key is wrapped by a key-encryption key.

    ``decrypt`` raises :class:`shared.errors.DecryptionFailed` on tampering or when ``aad``
    differs from the one used to encrypt.
    """

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes: ...

    def decrypt(self, envelope: bytes, *, aad: bytes) -> bytes: ...
