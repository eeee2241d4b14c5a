"""Identity Platform sign-in against the Firebase Auth emulator (npm ``firebase-tools``, Node only).

The emulator answers the same REST calls as Identity Platform (sign-up, signInWithPassword,
securetoken refresh, the admin accounts:update); its ID tokens carry Identity Platform's claims
but no signature, so GoogleIdentity runs in emulator mode here (claims checked, signature not).
Signature checks of Google-signed tokens are covered by test_google_identity.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine

from shared.adapters.identity.binding import SubjectBinding
from shared.adapters.identity.google import GoogleIdentity
from shared.db.engine import Database, sqlite_engine
from shared.db.migrate import upgrade
from shared.errors import Unauthorized
from shared.settings import Settings

from .firebase_emulator import KEY, PROJECT, auth_emulator, delete_account, missing
from .firebase_emulator import toolkit as _toolkit
from .firebase_emulator import verify_email as _verify_email

PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Auth emulator on a free port; its base URL."""
    root: Path = tmp_path_factory.mktemp("firebase")
    with auth_emulator(root) as url:
        yield url


def test_sign_in_refresh_and_an_unverified_email(emulator: str) -> None:
    identity = GoogleIdentity(PROJECT, emulator=True)
    email = f"ada{time.monotonic_ns()}@example.com"
    created = _toolkit(emulator, "signUp", {"email": email, "password": PASSWORD, "returnSecureToken": True})

    # A password account nobody verified is refused.
    unverified = _toolkit(
        emulator, "signInWithPassword", {"email": email, "password": PASSWORD, "returnSecureToken": True}
    )
    with pytest.raises(Unauthorized, match="verified email"):
        identity.verify(unverified["idToken"])

    # Once verified (as docs/deploy.md has operators create users), sign-in gives a usable token.
    _verify_email(emulator, created["localId"])
    signed_in = _toolkit(
        emulator, "signInWithPassword", {"email": email, "password": PASSWORD, "returnSecureToken": True}
    )
    principal = identity.verify(signed_in["idToken"])
    assert (principal.email, principal.subject) == (email, created["localId"])

    # The page refreshes its token with securetoken's refresh grant; the new one verifies too.
    refreshed = requests.post(
        f"{emulator}/securetoken.googleapis.com/v1/token?key={KEY}",
        data={"grant_type": "refresh_token", "refresh_token": signed_in["refreshToken"]},
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert identity.verify(refreshed.json()["id_token"]).subject == created["localId"]

    # A wrong password is Identity Platform's error, not a token.
    wrong = requests.post(
        f"{emulator}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key={KEY}",
        json={"email": email, "password": "wrong", "returnSecureToken": True},
        timeout=10,
    )
    assert wrong.status_code == 400 and "INVALID" in wrong.json()["error"]["message"]


def _signed_in(emulator: str, email: str) -> tuple[str, str]:
    """A new verified password account for ``email``: (its uid, a fresh ID token)."""
    created = _toolkit(emulator, "signUp", {"email": email, "password": PASSWORD, "returnSecureToken": True})
    _verify_email(emulator, created["localId"])
    signed_in = _toolkit(
        emulator, "signInWithPassword", {"email": email, "password": PASSWORD, "returnSecureToken": True}
    )
    return created["localId"], signed_in["idToken"]


def test_a_re_created_account_with_the_same_email_is_refused(emulator: str, db_url: str) -> None:
    """Memberships are keyed by email: a deleted account's successor must not inherit them."""
    engine = sqlite_engine(db_url) if db_url.startswith("sqlite") else create_engine(db_url)
    upgrade(engine)
    identity = SubjectBinding(GoogleIdentity(PROJECT, emulator=True), Database(engine))
    email = f"cy{time.monotonic_ns()}@example.com"
    first_uid, first = _signed_in(emulator, email)
    assert identity.verify(first).subject == first_uid  # the first sign-in binds the email
    _, again = _signed_in(emulator, f"other{email}")  # an unrelated account binds its own email
    identity.verify(again)
    refreshed = requests.post(
        f"{emulator}/securetoken.googleapis.com/v1/token?key={KEY}",
        data={
            "grant_type": "refresh_token",
            "refresh_token": _toolkit(
                emulator,
                "signInWithPassword",
                {"email": email, "password": PASSWORD, "returnSecureToken": True},
            )["refreshToken"],
        },
        timeout=10,
    ).json()["id_token"]
    assert identity.verify(refreshed).subject == first_uid  # the same account, a new token: accepted

    delete_account(emulator, first_uid)
    second_uid, second = _signed_in(emulator, email)
    assert second_uid != first_uid
    with pytest.raises(Unauthorized, match="another account"):
        identity.verify(second)
    engine.dispose()


def test_emulator_tokens_for_another_project_are_refused(emulator: str) -> None:
    email = f"bob{time.monotonic_ns()}@example.com"
    created = _toolkit(emulator, "signUp", {"email": email, "password": PASSWORD, "returnSecureToken": True})

    with pytest.raises(Unauthorized):
        GoogleIdentity("another-project", emulator=True).verify(created["idToken"])


def test_the_emulator_mode_is_refused_on_google_cloud() -> None:
    with pytest.raises(ValueError, match="refused on Google Cloud"):
        Settings(cloud="gcp", auth_emulator_host="127.0.0.1:9099")
