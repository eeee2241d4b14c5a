"""FakeCloudTasksServer: Cloud Tasks' REST ``CreateTask`` plus dispatch of HTTP target tasks.

Why a fake: no Cloud Tasks emulator is installable here, and recorded responses cannot dispatch.
This server accepts what the client's ``transport="rest"`` sends (``POST /v2/{queue}/tasks``),
refuses a reused task name with 409 ALREADY_EXISTS (names stay taken after the task ran, as in
Cloud Tasks), and dispatches each task when due: an HTTP request to the task's URL with its body,
headers, the ``X-CloudTasks-*`` headers and an OIDC token it signs for the task's
``oidcToken`` (RS256, issuer ``https://accounts.google.com``). A non-2xx answer is retried with
exponential backoff up to ``max_attempts``, then the task is recorded as dead. Its signing certs
are served at ``/oauth2/v1/certs``, the path of Google's.

With ``strip_signature`` set it plays the Cloud Run front end that, after its own IAM check,
replaces the token's signature with ``SIGNATURE_REMOVED_BY_GOOGLE`` before the request arrives.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from .google_issuer import CERTS_PATH, TokenSigner
from .http import LocalHttpServer

QUEUE = "projects/bridge-test/locations/europe-west1/queues/bridge-agent-steps"
# HttpMethod: the REST transport sends enums as numbers, which the API accepts as names too.
HTTP_METHODS = {1: "POST", 2: "GET", 3: "HEAD", 4: "PUT", 5: "DELETE", 6: "PATCH", 7: "OPTIONS"}


@dataclass(order=True)
class _Due:
    due: float
    seq: int
    name: str = field(compare=False)


class FakeCloudTasksServer:
    """One queue (``queue``) whose tasks are dispatched by ``workers`` threads."""

    def __init__(
        self,
        queue: str = QUEUE,
        *,
        max_attempts: int = 5,
        min_backoff_s: float = 0.005,
        max_backoff_s: float = 0.05,
        workers: int = 4,
    ) -> None:
        self.queue = queue
        self.max_attempts = max_attempts
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.created: list[dict[str, Any]] = []  # every CreateTask request body, as received
        self.strip_signature = False
        self.dead: list[str] = []  # task ids that exhausted their attempts
        self._tasks: dict[str, dict[str, Any]] = {}
        self._attempts: dict[str, int] = {}
        self._heap: list[_Due] = []
        self._seq = itertools.count()
        self._running = 0
        self._closed = False
        self._cond = threading.Condition()
        self._signer = TokenSigner()
        self._http = LocalHttpServer(self._wsgi)
        self.url = self._http.url
        self._workers = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for worker in self._workers:
            worker.start()

    def wait_idle(self, timeout: float) -> bool:
        """True once no task is waiting, retrying or running."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and not self._running, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for worker in self._workers:
            worker.join()
        self._http.close()

    def mint(self, audience: str, email: str, *, verified: bool = True, lifetime_s: int = 3600) -> str:
        """An OIDC token as Cloud Tasks mints it for ``email`` (signed with this server's key)."""
        return self._signer.mint(
            iss="https://accounts.google.com",
            aud=audience,
            azp="104839485734589347589",
            sub="104839485734589347589",
            email=email,
            email_verified=verified,
            lifetime_s=lifetime_s,
        )

    # -- REST -----------------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.method == "GET" and request.path == CERTS_PATH:
            response = _json(self._signer.certs())
        elif request.method == "POST" and request.path == f"/v2/{self.queue}/tasks":
            response = self._create(json.loads(request.get_data() or b"{}"))
        elif request.method == "POST" and request.path.endswith("/tasks"):
            response = _error(404, "NOT_FOUND", f"Queue {request.path[4:-6]} does not exist.")
        else:
            response = _error(404, "NOT_FOUND", f"no method at {request.method} {request.path}")
        return response(environ, start_response)

    def _create(self, body: dict[str, Any]) -> Response:
        task = dict(body.get("task") or {})
        http = task.get("httpRequest")
        if not isinstance(http, dict) or not http.get("url"):
            return _error(400, "INVALID_ARGUMENT", "Task.http_request.url is required.")
        name = task.get("name") or f"{self.queue}/tasks/{uuid.uuid4().int}"
        if not name.startswith(f"{self.queue}/tasks/"):
            return _error(400, "INVALID_ARGUMENT", f"Task name {name} is not in queue {self.queue}.")
        due = _parse_time(task["scheduleTime"]) if "scheduleTime" in task else time.time()
        now = datetime.now(UTC)
        with self._cond:
            self.created.append(body)
            if name in self._tasks:
                return _error(409, "ALREADY_EXISTS", "Requested entity already exists")
            stored = {
                **task,
                "name": name,
                "createTime": _rfc3339(now),
                "scheduleTime": _rfc3339(datetime.fromtimestamp(due, UTC)),
                "dispatchCount": 0,
                "responseCount": 0,
                "view": "BASIC",
            }
            self._tasks[name] = stored
            heapq.heappush(
                self._heap, _Due(time.monotonic() + max(0.0, due - time.time()), next(self._seq), name)
            )
            self._cond.notify()
        basic = {**stored, "httpRequest": {k: v for k, v in http.items() if k not in ("body", "headers")}}
        return _json(basic)

    # -- dispatch -------------------------------------------------------------------------------

    def _work(self) -> None:
        session = requests.Session()
        while (name := self._next()) is not None:
            try:
                ok = self._dispatch(session, name)
            except Exception:  # a harness bug must fail the task, not hang wait_idle
                ok = False
            with self._cond:
                self._running -= 1
                attempts = self._attempts[name]
                if not ok:
                    if attempts >= self.max_attempts:
                        self.dead.append(name.rsplit("/", 1)[1])
                    else:
                        backoff = min(self.max_backoff_s, self.min_backoff_s * 2 ** (attempts - 1))
                        heapq.heappush(self._heap, _Due(time.monotonic() + backoff, next(self._seq), name))
                self._cond.notify_all()

    def _next(self) -> str | None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                if self._heap and self._heap[0].due <= now:
                    self._running += 1
                    name = heapq.heappop(self._heap).name
                    self._attempts[name] = self._attempts.get(name, 0) + 1
                    return name
                self._cond.wait(self._heap[0].due - now if self._heap else None)
            return None

    def _dispatch(self, session: requests.Session, name: str) -> bool:
        with self._cond:
            task = self._tasks[name]
            attempt = self._attempts[name]
        http = task["httpRequest"]
        headers = {
            **http.get("headers", {}),
            "X-CloudTasks-QueueName": self.queue.rsplit("/", 1)[1],
            "X-CloudTasks-TaskName": name.rsplit("/", 1)[1],
            "X-CloudTasks-TaskRetryCount": str(attempt - 1),
            "X-CloudTasks-TaskExecutionCount": str(attempt - 1),
        }
        oidc = http.get("oidcToken")
        if oidc:
            audience = oidc.get("audience") or http["url"]
            token = self.mint(audience, oidc["serviceAccountEmail"])
            if self.strip_signature:
                token = strip_signature(token)
            headers["Authorization"] = f"Bearer {token}"
        body = base64.b64decode(http.get("body", ""))
        method = http.get("httpMethod", "POST")
        try:
            response = session.request(
                HTTP_METHODS.get(method, method), http["url"], data=body, headers=headers, timeout=30
            )
        except requests.RequestException:
            return False
        return 200 <= response.status_code < 300


def strip_signature(token: str) -> str:
    """The token as Cloud Run forwards it after checking it: header and claims, signature removed."""
    header, claims, _ = token.split(".")
    return f"{header}.{claims}.SIGNATURE_REMOVED_BY_GOOGLE"


def _parse_time(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 time with up to nanosecond digits."""
    base, _, fraction = text.rstrip("Z").partition(".")
    moment = datetime.fromisoformat(base).replace(tzinfo=UTC)
    return moment.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _json(doc: dict[str, Any]) -> Response:
    return Response(json.dumps(doc), content_type="application/json; charset=UTF-8")


def _error(code: int, status: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message, "status": status}}
    return Response(json.dumps(body), status=code, content_type="application/json; charset=UTF-8")
