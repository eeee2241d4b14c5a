"""ReplayBigQueryServer: serves recorded BigQuery v2 REST exchanges and records every request.

BigQuery cannot run here and no emulator fits google-cloud-bigquery's full request set, so the
adapter talks to this server through ``client_options={"api_endpoint": url}``. Each exchange in
``tests/fixtures/google/bigquery/exchanges.json`` names a method, a path (a regex) and optional
conditions on the request (``dry_run``, ``query_contains``, ``query_lacks``, ``page_token``); the
first exchange that matches is answered with its recorded status and body. A request nothing
matches gets a 501 naming it, so a test fails loudly instead of replaying the wrong thing.

Two rules are computed, as BigQuery applies them to every job, before any recording is looked up:

- Location: a job runs where its data lives. A job that names a location other than that of
  the datasets (``project.dataset.table``, locations from the ``datasets_list`` recording) or the
  region (``region-xx``) it reads answers 404 ``notFound`` "... was not found in location ...";
  a job that names none is placed by what it reads.
- Project-level metadata: with ``region_views_denied`` set, a query over region-qualified
  INFORMATION_SCHEMA views answers 403 ``accessDenied``, as for an identity with dataset-level
  access only (dataset-qualified views still answer).

IAM is computed too, as far as keyless connections use it: ``generateAccessToken`` for an
impersonated account (``/iam/{account}:generateAccessToken``, answering a token naming that
account) and service-account creation (``POST /v1/projects/{p}/serviceAccounts``: 200, then
409 ALREADY_EXISTS for the same id).

The OAuth token endpoint is computed, not replayed: it accepts the JWT-bearer grant that
``service_account.Credentials`` sends (checking its scope) and issues an access token, so the
adapter's real credential path runs end to end.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

from .http import LocalHttpServer

PROJECT = "bridge-demo"
_REGION = re.compile(r"`region-([a-z0-9-]+)`")
_DATASET_READ = re.compile(r"`?bridge-demo`?\.`?([A-Za-z0-9_]+)`?\.")
EXCHANGES = Path(__file__).parents[1] / "fixtures" / "google" / "bigquery" / "exchanges.json"
ACCESS_TOKEN = "ya29.replayed-access-token"


def service_account_info(token_uri: str) -> dict[str, Any]:
    """A service-account key JSON with a fresh RSA key (never a committed one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": f"bridge-reader@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    args: dict[str, str]
    body: dict[str, Any]
    authorization: str
    exchange: str | None


def job_query(body: dict[str, Any]) -> dict[str, Any]:
    """The query settings of a jobs.insert or jobs.query body, in one shape."""
    if "configuration" in body:
        config = body["configuration"]
        return {
            **config.get("query", {}),
            "dryRun": config.get("dryRun", False),
            "labels": config.get("labels"),
        }
    return body


class ReplayBigQueryServer:
    """Recorded BigQuery answers over HTTP on loopback; ``requests`` lists what was asked."""

    def __init__(self, exchanges: Path = EXCHANGES) -> None:
        self.exchanges: list[dict[str, Any]] = json.loads(exchanges.read_text())["exchanges"]
        self.requests: list[Seen] = []
        self.token_grants: list[dict[str, Any]] = []
        self.region_views_denied = False
        self.impersonations: list[tuple[str, str, dict[str, Any]]] = []  # (account, caller's auth, body)
        self.accounts: set[str] = set()
        self.dataset_locations = _dataset_locations(self.exchanges)
        self._lock = threading.Lock()
        self._http = LocalHttpServer(self._wsgi)
        self.url = self._http.url

    def close(self) -> None:
        self._http.close()

    def api_requests(self) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith("/bigquery/")]

    def job_requests(self) -> list[Seen]:
        """Requests that create a query job: jobs.insert and jobs.query."""
        return [
            r for r in self.api_requests() if r.method == "POST" and r.path.endswith(("/jobs", "/queries"))
        ]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/token":
            return self._token(request)(environ, start_response)
        if request.path.startswith(("/iam/", "/v1/projects/")):
            return self._iam(request)(environ, start_response)
        raw = request.get_data()
        body = json.loads(raw) if raw else {}
        args = {k: v[-1] for k, v in parse_qs(request.query_string.decode()).items()}
        refusal = self._refusal(request.method, request.path, body)
        exchange = None if refusal else self._match(request.method, request.path, body, args)
        with self._lock:
            self.requests.append(
                Seen(
                    request.method,
                    request.path,
                    args,
                    body,
                    request.headers.get("Authorization", ""),
                    exchange["name"] if exchange else refusal and refusal["name"],
                )
            )
        if refusal is not None:
            return Response(
                json.dumps(refusal["body"]), status=refusal["status"], content_type="application/json"
            )(environ, start_response)
        if exchange is None:
            error = {"error": {"code": 501, "message": f"no recording for {request.method} {request.path}"}}
            return Response(json.dumps(error), status=501, content_type="application/json")(
                environ, start_response
            )
        reply = exchange["response"]
        return Response(
            json.dumps(reply["body"]),
            status=reply.get("status", 200),
            content_type="application/json; charset=UTF-8",
        )(environ, start_response)

    def _match(
        self, method: str, path: str, body: dict[str, Any], args: dict[str, str]
    ) -> dict[str, Any] | None:
        settings = job_query(body)
        for exchange in self.exchanges:
            want = exchange["request"]
            if want["method"] != method or not re.fullmatch(want["path"], path):
                continue
            if "dry_run" in want and bool(settings.get("dryRun")) != want["dry_run"]:
                continue
            if "page_token" in want and args.get("pageToken") != want["page_token"]:
                continue
            if "query_contains" in want and want["query_contains"] not in settings.get("query", ""):
                continue
            if "query_lacks" in want and want["query_lacks"] in settings.get("query", ""):
                continue
            return exchange
        return None

    def _refusal(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """BigQuery's location and permission rules for a job-creating request, or None."""
        if method != "POST" or not path.endswith(("/jobs", "/queries")):
            return None
        sql = str(job_query(body).get("query", ""))
        sent = (
            body.get("location")
            if "configuration" not in body
            else body.get("jobReference", {}).get("location")
        )
        regions = {m.group(1) for m in _REGION.finditer(sql)}
        if regions and self.region_views_denied:
            view = f"{PROJECT}:region-{sorted(regions)[0]}.INFORMATION_SCHEMA"
            return _error(
                "refused_region_views",
                403,
                "accessDenied",
                f"Access Denied: Table {view}: User does not have permission to query table {view},"
                " or perhaps it does not exist.",
            )
        if sent is None:
            return None
        for region in sorted(regions):
            if region.lower() != str(sent).lower():
                return _error(
                    "refused_location",
                    404,
                    "notFound",
                    f"Not found: Table {PROJECT}:region-{region}.INFORMATION_SCHEMA was not found in location {sent}",
                )
        for dataset in sorted({m.group(1) for m in _DATASET_READ.finditer(sql)}):
            where = self.dataset_locations.get(dataset)
            if where is not None and where.lower() != str(sent).lower():
                return _error(
                    "refused_location",
                    404,
                    "notFound",
                    f"Not found: Dataset {PROJECT}:{dataset} was not found in location {sent}",
                )
        return None

    def _iam(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        if request.path.endswith(":generateAccessToken"):
            account = request.path.removeprefix("/iam/").removesuffix(":generateAccessToken")
            with self._lock:
                self.impersonations.append((account, request.headers.get("Authorization", ""), body))
            token = {"accessToken": impersonated_token(account), "expireTime": "2099-01-01T00:00:00Z"}
            return Response(json.dumps(token), content_type="application/json")
        account_id = body.get("accountId", "")
        project = request.path.split("/")[3]
        email = f"{account_id}@{project}.iam.gserviceaccount.com"
        with self._lock:
            exists = email in self.accounts
            self.accounts.add(email)
        if exists:
            error = {
                "error": {
                    "code": 409,
                    "message": f"Service account {account_id} already exists",
                    "status": "ALREADY_EXISTS",
                }
            }
            return Response(json.dumps(error), status=409, content_type="application/json")
        return Response(
            json.dumps({"email": email, "name": f"projects/{project}/serviceAccounts/{email}"}),
            content_type="application/json",
        )

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not form.get(
            "assertion"
        ):
            return Response(
                json.dumps({"error": "invalid_grant"}), status=400, content_type="application/json"
            )
        claims = jwt.decode(form["assertion"], options={"verify_signature": False})
        with self._lock:
            self.token_grants.append(claims)
        granted = {
            "https://www.googleapis.com/auth/bigquery",
            "https://www.googleapis.com/auth/cloud-platform",
            "https://www.googleapis.com/auth/iam",  # what impersonation asks of its source account
        }
        if not granted & set(str(claims.get("scope", "")).split()):
            return Response(
                json.dumps({"error": "invalid_scope"}), status=400, content_type="application/json"
            )
        token = {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}
        return Response(json.dumps(token), content_type="application/json")


def impersonated_token(account: str) -> str:
    return f"ya29.impersonated.{account}"


def _dataset_locations(exchanges: list[dict[str, Any]]) -> dict[str, str]:
    """dataset id → location, from the recorded datasets.list answer."""
    listing = next(e for e in exchanges if e["name"] == "datasets_list")["response"]["body"]
    return {d["datasetReference"]["datasetId"]: d["location"] for d in listing.get("datasets", [])}


def _error(name: str, status: int, reason: str, message: str) -> dict[str, Any]:
    """A computed answer in BigQuery's error shape."""
    error = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": "global", "reason": reason}],
    }
    return {"name": name, "status": status, "body": {"error": error}}
