"""The task queue on Cloud Tasks (google-cloud-tasks): HTTP target tasks signed with OIDC.

Each task is ``POST {target_url}/tasks/{handler}`` with the payload as a JSON body and an OIDC
token for ``service_account`` whose audience is ``target_url``; the receiving function checks it
with :func:`verify_oidc_token`. A named task is ``{queue}/tasks/{name}``, where callers build
``name`` with :func:`shared.adapters.tasks.naming.task_name` (a hashed prefix spreads names across Cloud
Tasks' keyspace); Cloud Tasks refuses a name used within about an hour (ALREADY_EXISTS), which
:meth:`CloudTasksQueue.enqueue` reports as ``False``: the task is already scheduled or done.
Retries, backoff and the attempt limit are the queue's retry config (terraform/tasks.tf).

google-cloud-tasks and google-auth are imported on first use; the client is created once per
instance.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.tasks.naming import validate_task_name
from shared.adapters.tasks.port import TaskHandler
from shared.errors import BadRequest, BridgeError, Forbidden, NotFound, Unauthorized, Unavailable

_HANDLER_NAME = re.compile(r"[A-Za-z0-9_-]+")
_QUEUE_PATH = re.compile(r"projects/[^/]+/locations/[^/]+/queues/[^/]+")
_GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


class CloudTasksQueue:
    """:class:`~shared.adapters.tasks.port.TaskQueue` on one Cloud Tasks queue with an HTTP target."""

    def __init__(
        self,
        queue_path: str,
        *,
        target_url: str,
        service_account: str,
        transport: str | None = None,
        client_options: dict[str, Any] | None = None,
        credentials: Any = None,
        handlers: Iterable[str] = (),
    ) -> None:
        if not _QUEUE_PATH.fullmatch(queue_path or ""):
            raise BadRequest(
                "the Cloud Tasks queue must be projects/P/locations/L/queues/Q (BRIDGE_TASKS_QUEUE)",
                details={"tasks_queue": queue_path},
            )
        if not target_url.startswith(("https://", "http://")) or not service_account:
            raise BadRequest(
                "Cloud Tasks needs BRIDGE_TASKS_TARGET_URL (a URL) and BRIDGE_TASKS_SERVICE_ACCOUNT",
                details={"tasks_target_url": target_url, "tasks_service_account": service_account},
            )
        self.queue_path = queue_path
        self.target_url = target_url.rstrip("/")
        self.service_account = service_account
        self._transport = transport
        self._client_options = client_options
        self._credentials = credentials
        self._lock = threading.Lock()
        self._client: Any = None
        self._registered: set[str] = set(handlers)  # the product's handlers, named by the root

    @property
    def client(self) -> Any:
        """The ``CloudTasksClient``, created on first use."""
        with self._lock:
            if self._client is None:
                from google.cloud import tasks_v2

                self._client = tasks_v2.CloudTasksClient(
                    transport=self._transport,
                    client_options=self._client_options,
                    credentials=self._credentials,
                )
            return self._client

    def register(self, handler: str, fn: TaskHandler) -> None:
        """Record ``handler`` as a valid target; the HTTP target (``POST /tasks/{handler}``) runs it."""
        if not isinstance(handler, str) or not _HANDLER_NAME.fullmatch(handler):
            raise BadRequest(
                f"invalid handler name {handler!r}: use [A-Za-z0-9_-]", details={"handler": handler}
            )
        with self._lock:
            self._registered.add(handler)

    def handlers(self) -> set[str]:
        """Handler names tasks may target: those named at construction plus any registered here."""
        with self._lock:
            return set(self._registered)

    def enqueue(
        self, handler: str, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0
    ) -> bool:
        """Create the HTTP task; False when a task called ``name`` already exists (deduplicated)."""
        if not isinstance(payload, dict):
            raise BadRequest("task payload must be a JSON object", details={"handler": handler})
        try:
            body = json.dumps(payload, allow_nan=False).encode()
        except (TypeError, ValueError) as e:
            raise BadRequest(
                f"task payload is not JSON-serializable: {e}", details={"handler": handler}
            ) from e
        if name is not None:
            validate_task_name(name)
        if delay_s < 0:
            raise BadRequest("delay_s must not be negative", details={"delay_s": delay_s})
        if handler not in self.handlers():
            raise NotFound(f"no task handler named {handler!r}", details={"handler": handler})
        task = self.task_for(handler, body, name=name, delay_s=delay_s)
        from google.api_core import exceptions as gexc

        try:
            self.client.create_task(request={"parent": self.queue_path, "task": task})
        except gexc.Conflict:  # ALREADY_EXISTS (409): this name was used within the dedup window
            return False
        except gexc.GoogleAPICallError as e:
            raise _api_error(self.queue_path, e) from e
        return True

    def task_for(self, handler: str, body: bytes, *, name: str | None, delay_s: float) -> dict[str, Any]:
        """The Cloud Tasks ``Task`` (as a dict) that delivers ``body`` to ``handler``."""
        task: dict[str, Any] = {
            "http_request": {
                "http_method": "POST",
                "url": f"{self.target_url}/tasks/{handler}",
                "headers": {"Content-Type": "application/json"},
                "body": body,
                "oidc_token": {"service_account_email": self.service_account, "audience": self.target_url},
            }
        }
        if name is not None:
            task["name"] = f"{self.queue_path}/tasks/{name}"
        if delay_s > 0:
            task["schedule_time"] = datetime.now(UTC) + timedelta(seconds=delay_s)
        return task


def _api_error(queue: str, error: Exception) -> BridgeError:
    code = getattr(error, "code", None)
    if code in (401, 403):
        return Forbidden(f"this function's identity may not enqueue to {queue}", details={"queue": queue})
    if code == 404:
        return BridgeError(f"Cloud Tasks queue {queue} does not exist (BRIDGE_TASKS_QUEUE)")
    if code == 400:
        return BadRequest(f"Cloud Tasks rejected the task: {getattr(error, 'message', error)}")
    return Unavailable(f"Cloud Tasks could not take the task ({code or type(error).__name__})")


_default_request: Any = None


SIGNATURE_REMOVED = "SIGNATURE_REMOVED_BY_GOOGLE"
CLOCK_SKEW_S = 30


def verify_oidc_token(
    token: str, *, audience: str, email: str, request: Any = None, platform_verified: bool = False
) -> dict[str, Any]:
    """The claims of a Google-signed OIDC token minted for ``email`` with ``audience``.

    Raises :class:`Unauthorized` unless the signature, expiry, issuer and audience check out and
    the token's verified email is ``email``. ``request`` is a google-auth transport request
    (default: one shared :class:`shared.adapters.identity.google.CachingRequest`, so Google's certs are
    fetched once per their cache lifetime, not once per task) used to fetch Google's certs.

    Cloud Run may replace the signature with ``SIGNATURE_REMOVED_BY_GOOGLE`` once its own IAM
    check has verified the token. Such a token is accepted only with ``platform_verified`` (the
    service requires authentication, so nothing unverified reaches it), and its audience, issuer,
    email and expiry are still checked; anywhere else it is refused.
    """
    global _default_request
    if not token or not audience or not email:
        raise Unauthorized("task token, audience and service account are all required")
    if token.count(".") == 2 and token.rsplit(".", 1)[1] == SIGNATURE_REMOVED:
        if not platform_verified:
            raise Unauthorized("task token has no signature and this service does not require authentication")
        return _checked_claims(_unsigned_claims(token, audience), email)
    from google.auth import exceptions as auth_exceptions
    from google.oauth2 import id_token

    if request is None:
        if _default_request is None:
            from shared.adapters.identity.google import CachingRequest

            _default_request = CachingRequest()
        request = _default_request
    try:
        claims: dict[str, Any] = id_token.verify_oauth2_token(
            token, request, audience=audience, clock_skew_in_seconds=CLOCK_SKEW_S
        )
    except auth_exceptions.TransportError as e:
        raise Unavailable("could not fetch Google's token signing keys") from e
    except (ValueError, auth_exceptions.GoogleAuthError) as e:
        raise Unauthorized(f"invalid task token ({type(e).__name__})") from None
    return _checked_claims(claims, email)


def _unsigned_claims(token: str, audience: str) -> dict[str, Any]:
    """Claims of a token whose signature the platform removed: audience and lifetime still checked."""
    import time

    from google.auth import jwt

    try:
        claims: dict[str, Any] = jwt.decode(token, verify=False)
    except (ValueError, TypeError) as e:
        raise Unauthorized(f"invalid task token ({type(e).__name__})") from None
    now = time.time()
    try:
        issued, expires = float(claims["iat"]), float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("task token has no valid iat/exp") from None
    if issued > now + CLOCK_SKEW_S or expires < now - CLOCK_SKEW_S:
        raise Unauthorized("task token is expired or not yet valid")
    audiences = claims.get("aud")
    if audience not in (audiences if isinstance(audiences, list) else [audiences]):
        raise Unauthorized("task token has the wrong audience")
    return claims


def _checked_claims(claims: dict[str, Any], email: str) -> dict[str, Any]:
    if claims.get("iss") not in _GOOGLE_ISSUERS:
        raise Unauthorized("task token was not issued by Google")
    if claims.get("email") != email or claims.get("email_verified") is not True:
        raise Unauthorized("task token was not minted for the tasks service account")
    return claims
