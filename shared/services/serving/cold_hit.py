"""A cache hit on an instance without the full serving service: no SQLAlchemy, pydantic model or PyJWT.

Until an instance first builds its :class:`DataService` (a miss, a refresh, any other data route),
a GET is tried here first. It is served only when every check the full path makes holds:

* the bearer token is one of Bridge's local HS256 tokens, verified (:mod:`shared.adapters.identity.hs256`),
  and its email is bound to its subject;
* the caller is a member of the team and the dashboard is live, with its connection
  (one indexed query, :class:`shared.adapters.directory.port.HitReads`);
* another instance shared a response (:mod:`.shared_responses`) for that generation, view and
  parameters, not expired, over the same connection;
* every table its views read is still one of the connection's tables, and each view's data
  version equals a fresh shared version record (:mod:`.versions`).

Anything else (another identity provider, a token of another shape, no binding yet, another
team's ids, a deleted dashboard, no record, a stale version, a database error) answers None, and
the caller takes the full path, which answers exactly as before (401, 404, a miss...). A validated
record is remembered in memory until it expires or its oldest version check leaves the window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from shared.adapters.directory.port import HitReads
from shared.adapters.identity import hs256
from shared.adapters.objectstore.port import ObjectStore
from shared.bounded_cache import BoundedCache
from shared.services.serving import versions
from shared.services.serving.body import Body
from shared.services.serving.shared_responses import Params, read_record, record_path

log = logging.getLogger("bridge.serving")


class ColdHits:
    """The light hit path of one instance (built by the composition root)."""

    def __init__(
        self,
        reads: HitReads,
        store: ObjectStore,
        secret: Callable[[], str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.reads, self._store, self._secret, self.clock = reads, store, secret, clock
        self._valid: BoundedCache[tuple[str, str, int, str | None, Params], tuple[float, bytes]]
        self._valid = BoundedCache(256)
        self.served = 0  # observable by tests

    def response(
        self, token: str, team_id: str, slug: str, view_id: str | None, params: Params
    ) -> Body | None:
        """The shared hit (its stored gzip; JSON only if asked for) that still holds for this caller; else None."""
        who = hs256.verify(token, self._secret())
        if who is None:
            return None
        try:
            if self.reads.bound_subject(who.email) != who.subject:
                return None
            pointer = self.reads.live_pointer(who.user_id, team_id, slug)
            if pointer is None:
                return None
            packed = self._packed(team_id, slug, pointer.generation, pointer.connection_id, view_id, params)
        except Exception:  # the full path reads again and answers (503 when the database is down)
            log.warning("cold hit check failed; taking the full path", exc_info=True)
            return None
        if packed is None:
            return None
        self.served += 1
        return Body(packed=packed)

    def _packed(
        self,
        team_id: str,
        slug: str,
        generation: int,
        connection_id: str,
        view_id: str | None,
        params: Params,
    ) -> bytes | None:
        now = self.clock()
        key = (team_id, slug, generation, view_id, params)
        remembered = self._valid.get(key)
        if remembered is not None and now < remembered[0]:
            return remembered[1]
        record = read_record(self._store, record_path(team_id, slug, generation, view_id, params))
        if record is None or not record.answers(team_id, slug, generation, view_id, params):
            return None
        if record.connection_id != connection_id or now >= record.expires_at:
            return None
        until = record.expires_at
        if any(v.tables for v in record.versions):
            allowed = self.reads.allowed_tables(connection_id)
            for v in record.versions:
                if not all(name.lower() in allowed for name in v.tables):
                    return None
                fresh = versions.fresh_record(
                    self._store,
                    versions.record_path(team_id, connection_id, v.tables),
                    (connection_id, v.tables),
                    now,
                )
                if fresh is None or fresh[1] != v.version:
                    return None
                until = min(until, now - fresh[0] + versions.DATA_VERSION_TTL_S)
        self._valid.put(key, (until, record.packed))
        return record.packed
