"""The identity port: turns a bearer token into a principal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Principal:
    user_id: str  # who the user is to Bridge: memberships are keyed by the (verified) invited email
    email: str
    expires_at: float | None = None  # the token's ``exp`` (epoch seconds), when known
    subject: str = ""  # the identity provider's stable id (``sub``), when it has one


class Identity(Protocol):
    def verify(self, token: str) -> Principal:
        """Raise :class:`shared.errors.Unauthorized` for a missing, expired or forged token."""
        ...
