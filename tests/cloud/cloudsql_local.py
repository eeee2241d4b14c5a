"""LocalCloudSql: what the Cloud SQL connector talks to, on loopback, in front of the real Postgres.

The real ``google.cloud.sql.connector.Connector`` (1.23.0) runs unchanged against two servers:

- **Admin API** (HTTP, the connector's ``sqladmin_api_endpoint``): ``GET /sql/v1beta4/projects/
  {p}/instances/{i}/connectSettings`` and ``POST .../instances/{i}:generateEphemeralCert``,
  answered as recorded exchanges written from the API reference (cloud.google.com/sql/docs/
  postgres/admin-api/rest/v1beta4: ``connect.get``, ``connect.generateEphemeralCert``), not
  captured from Google. The connector's client.py reads ``region``, ``ipAddresses[].type`` /
  ``ipAddress``, ``serverCaCert.cert``, ``databaseVersion``, ``pscEnabled`` and
  ``ephemeralCert.cert``; the rest of each body follows the reference. Two parts are computed:
  the ephemeral certificate signs the public key the connector sent, with a CA generated at
  start; and ``/token`` is an OAuth token endpoint for a service-account key's JWT-bearer grant,
  one token per scope (the Admin API's, and the IAM database login's the connector asks for when
  ``enable_iam_auth``), so the connector's credential path runs too.
- **Server-side proxy** (TLS on 127.0.0.1:3307, the port the connector always dials):
  ``cloudsql_proxy.ServerSideProxy`` with this instance's TLS: a server certificate signed by the
  CA, and client certificates (the ephemeral one) required and checked against it.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Request, Response

from .cloudsql_proxy import ServerSideProxy
from .http import LocalHttpServer
from .replay_bigquery import service_account_info

PROJECT, REGION, INSTANCE = "bridge-test", "europe-west1", "bridge"
CONNECTION_NAME = f"{PROJECT}:{REGION}:{INSTANCE}"
ADMIN_SCOPE = "https://www.googleapis.com/auth/sqlservice.admin"  # the connector's Admin API calls
LOGIN_SCOPE = "https://www.googleapis.com/auth/sqlservice.login"  # IAM database login
ADMIN_TOKEN, LOGIN_TOKEN = "ya29.local-sqladmin", "ya29.local-sqllogin"


class LocalCloudSql:
    """The Admin API and the server-side proxy of one instance (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, body)
        self.authorizations: list[str] = []
        self._dir = tempfile.TemporaryDirectory(prefix="cloudsql-")
        self._ca_key, self.ca_cert = _ca()
        self.proxy = ServerSideProxy(self._server_context())
        self._http = LocalHttpServer(self._wsgi)
        self.url = self._http.url

    def close(self) -> None:
        self.proxy.close()
        self._http.close()
        self._dir.cleanup()

    # -- Admin API

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.path == "/token":
            return self._token(request)
        body = json.loads(request.get_data() or b"{}")
        with self._lock:
            self.requests.append((request.method, request.path, body))
            self.authorizations.append(request.headers.get("Authorization", ""))
        if request.headers.get("Authorization") != f"Bearer {ADMIN_TOKEN}":
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        base = f"/sql/v1beta4/projects/{PROJECT}/instances/{INSTANCE}"
        if request.method == "GET" and request.path == f"{base}/connectSettings":
            return _json(self._connect_settings())
        if request.method == "POST" and request.path == f"{base}:generateEphemeralCert":
            if "public_key" not in body:
                return _error(400, "INVALID_ARGUMENT", "Missing public key.")
            return _json({"ephemeralCert": self._ephemeral(body["public_key"])})
        return _error(404, "NOT_FOUND", f"The Cloud SQL instance does not exist: {request.path}")

    def _connect_settings(self) -> dict[str, Any]:
        return {
            "kind": "sql#connectSettings",
            "serverCaCert": _ssl_cert(self.ca_cert, "sql#sslCert"),
            "ipAddresses": [{"type": "PRIMARY", "ipAddress": "127.0.0.1"}],
            "region": REGION,
            "databaseVersion": "POSTGRES_15",
            "backendType": "SECOND_GEN",
            "pscEnabled": False,
            "serverCaMode": "GOOGLE_MANAGED_INTERNAL_CA",
        }

    def _ephemeral(self, public_key_pem: str) -> dict[str, Any]:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{PROJECT}:{INSTANCE} ephemeral"))
            .issuer_name(self.ca_cert.subject)
            .public_key(key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .sign(self._ca_key, hashes.SHA256())
        )
        return _ssl_cert(cert, "sql#sslCert")

    def _token(self, request: Request) -> Response:
        """The JWT-bearer grant a service-account key sends; one token per scope it asks for."""
        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not form.get(
            "assertion"
        ):
            return Response(json.dumps({"error": "invalid_grant"}), 400, content_type="application/json")
        scopes = set(str(jwt.decode(form["assertion"], options={"verify_signature": False})["scope"]).split())
        token = ADMIN_TOKEN if ADMIN_SCOPE in scopes else LOGIN_TOKEN if LOGIN_SCOPE in scopes else None
        if token is None:
            return Response(json.dumps({"error": "invalid_scope"}), 400, content_type="application/json")
        return _json({"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def credentials_file(self, folder: Path) -> Path:
        """A service-account key file (what GOOGLE_APPLICATION_CREDENTIALS names) using ``/token``."""
        path = folder / "service-account.json"
        path.write_text(json.dumps(service_account_info(f"{self.url}/token")))
        return path

    # -- the server-side proxy's TLS: a server certificate from the CA, client certificates checked against it

    def _server_context(self) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{PROJECT}:{INSTANCE}"))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )
        folder = Path(self._dir.name)
        (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "server.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(folder / "server.pem", folder / "server.key")
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=self.ca_cert.public_bytes(serialization.Encoding.PEM).decode())
        return context


def _ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = _name("Google Cloud SQL Server CA (local)")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ssl_cert(cert: x509.Certificate, kind: str) -> dict[str, Any]:
    """An ``SslCert`` resource as the API reference spells it."""
    return {
        "kind": kind,
        "certSerialNumber": str(cert.serial_number),
        "cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "commonName": cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
        "sha1Fingerprint": cert.fingerprint(hashes.SHA1()).hex(),  # the API reports it
        "instance": INSTANCE,
        "createTime": cert.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
        "expirationTime": cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
    }


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def _error(code: int, status: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message, "status": status}}
    return Response(json.dumps(body), code, content_type="application/json")
