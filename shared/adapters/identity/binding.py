"""Each email bound to the first identity-provider account (``sub``) that signs in with it.

Memberships are keyed by the invited email, so without this a deleted-and-re-created Identity
Platform account with the same email would inherit the old account's teams. The first verified
sign-in for an email records its ``sub`` (``user_identities``); a later token for that email
with another ``sub`` is refused (401) until an operator runs ``bridge rebind EMAIL``. Racing
first sign-ins insert the same primary key: the loser's transaction is retried and reads the
winner's row (:meth:`Database.run`). Local dev tokens carry ``sub`` = the email, so they bind too.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from shared.adapters.identity.port import Identity, Principal
from shared.db.engine import Database
from shared.db.models import UserIdentity
from shared.errors import Unauthorized

log = logging.getLogger("bridge.identity")


class SubjectBinding:
    """Wraps an identity adapter: a verified principal must match its email's bound ``sub``."""

    def __init__(self, inner: Identity, db: Database) -> None:
        self.inner, self.db = inner, db

    def verify(self, token: str) -> Principal:
        who = self.inner.verify(token)
        if not who.subject:
            raise Unauthorized("ID token has no subject")
        bound = self.db.read_or_repair(lambda s: _bind(s, who.email, who.subject))
        if bound != who.subject:
            log.warning(
                "refused a token for %s: its subject %s differs from the bound subject %s "
                "(re-created account? `bridge rebind` moves the binding)",
                who.email,
                who.subject,
                bound,
            )
            raise Unauthorized("this email belongs to another account here; an administrator can re-bind it")
        return who

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def _bind(s: Session, email: str, subject: str) -> str:
    """The subject bound to ``email``, binding ``subject`` if none is yet."""
    row = s.get(UserIdentity, email)
    if row is None:
        s.add(UserIdentity(email=email, subject=subject))
        s.flush()  # a concurrent first sign-in clashes here; the retry reads its row
        return subject
    return row.subject


def rebind(db: Database, email: str, subject: str | None = None) -> str | None:
    """Move ``email``'s binding to ``subject``, or clear it (the next sign-in binds); the old subject."""
    email = email.strip().lower()

    def move(s: Session) -> str | None:
        row = s.get(UserIdentity, email)
        old = row.subject if row is not None else None
        if subject is None:
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(UserIdentity(email=email, subject=subject))
        else:
            row.subject = subject
        return old

    return db.run(move)
