"""Verified tokens remembered per instance, so a signature is checked once per token, not per request."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from shared.adapters.identity.port import Identity, Principal
from shared.bounded_cache import BoundedCache


class CachingIdentity:
    """Wraps an identity adapter; a verified token is reused until its expiry (at most ``ttl_s``).

    Only successful verifications are kept (keyed by a hash of the token, never the token itself),
    so a forged or expired token is checked, and refused, every time.
    """

    def __init__(
        self,
        inner: Identity,
        *,
        ttl_s: float = 300.0,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inner, self.ttl_s, self.max_entries, self.clock = inner, ttl_s, max_entries, clock
        self._seen: BoundedCache[bytes, tuple[float, Principal]] = BoundedCache(max_entries)

    def verify(self, token: str) -> Principal:
        key = hashlib.sha256(token.encode()).digest()
        now = self.clock()
        hit = self._seen.get(key)
        if hit is not None and now < hit[0]:
            return hit[1]
        who = self.inner.verify(token)
        until = min(now + self.ttl_s, who.expires_at if who.expires_at is not None else now + self.ttl_s)
        self._seen.put(key, (until, who))
        return who

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)
