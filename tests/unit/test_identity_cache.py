"""Verified tokens are reused until they expire; bad tokens are checked (and refused) every time."""

from __future__ import annotations

import pytest

from shared.adapters.identity.cache import CachingIdentity
from shared.adapters.identity.local import LocalIdentity
from shared.errors import Unauthorized


class CountingIdentity(LocalIdentity):
    calls = 0

    def verify(self, token: str):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().verify(token)


def test_a_verified_token_is_checked_once_until_it_expires() -> None:
    inner = CountingIdentity("secret-0123456789-0123456789-0123456789", ttl_s=100)
    now = [1_000.0]
    ident = CachingIdentity(inner, ttl_s=300, clock=lambda: now[0])
    token = inner.issue("a@example.com")
    import time

    now[0] = time.time()
    assert ident.verify(token).email == "a@example.com"
    assert ident.verify(token).email == "a@example.com"
    assert inner.calls == 1
    now[0] += 101  # past the token's own exp (100 s), though within the cache's 300 s: checked again
    ident.verify(token)
    assert inner.calls == 2


def test_forged_tokens_are_never_cached() -> None:
    inner = CountingIdentity("secret-0123456789-0123456789-0123456789")
    ident = CachingIdentity(inner)
    forged = LocalIdentity("another-secret-0123456789-0123456789-01").issue("a@example.com")
    for _ in range(3):
        with pytest.raises(Unauthorized):
            ident.verify(forged)
    assert inner.calls == 3
