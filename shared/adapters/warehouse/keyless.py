"""Keyless BigQuery connections: each team reads through a Bridge-owned service account.

No key is pasted or stored. Bridge owns one service account per team in its own project
(``<prefix>-t-<hash of the team id>``), created through the IAM API when the team's first keyless
connection is registered. The team grants that account BigQuery access on its project
(:func:`grant_commands` prints the exact ``gcloud`` lines); Bridge's functions impersonate it
with short-lived tokens (google-auth ``impersonated_credentials``), which Terraform allows only
for accounts with that prefix. One account per team means a project granted to one team is
never readable by another team that names it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from shared.errors import BadRequest, Forbidden, Unavailable

IAM_URL = "https://iam.googleapis.com/v1"
GRANT_ROLES = ("roles/bigquery.jobUser", "roles/bigquery.dataViewer", "roles/bigquery.metadataViewer")
_PREFIX = re.compile(r"[a-z][a-z0-9-]{1,11}")


def connector_account(team_id: str, *, project: str, prefix: str = "bridge") -> str:
    """The email of ``team_id``'s reader account in Bridge's ``project``."""
    if not project or not _PREFIX.fullmatch(prefix):
        raise BadRequest("keyless connections need BRIDGE_GCP_PROJECT and a valid connector prefix")
    digest = hashlib.sha256(team_id.encode()).hexdigest()[:14]
    return f"{prefix}-t-{digest}@{project}.iam.gserviceaccount.com"


def grant_commands(account: str, customer_project: str) -> list[str]:
    """The ``gcloud`` lines the team runs once on its own project (roles for jobs, data, catalog)."""
    return [
        f"gcloud projects add-iam-policy-binding {customer_project}"
        f" --member=serviceAccount:{account} --role={role} --condition=None"
        for role in GRANT_ROLES
    ]


def ensure_account(account: str, *, display_name: str, session: Any = None, iam_url: str = IAM_URL) -> bool:
    """Create ``account`` through the IAM API unless it exists; True when it was created."""
    if session is None:
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        credentials, _ = google.auth.default(scopes=("https://www.googleapis.com/auth/cloud-platform",))
        session = AuthorizedSession(credentials)
    name, _, domain = account.partition("@")
    project = domain.removesuffix(".iam.gserviceaccount.com")
    response = session.post(
        f"{iam_url}/projects/{project}/serviceAccounts",
        json={"accountId": name, "serviceAccount": {"displayName": display_name[:100]}},
        timeout=30,
    )
    if response.status_code == 409:
        return False
    if response.status_code in (401, 403):
        raise Forbidden(
            "this function's identity may not create service accounts (roles/iam.serviceAccountCreator)"
        )
    if response.status_code >= 300:
        raise Unavailable(f"IAM could not create the connection's service account ({response.status_code})")
    return True


def impersonated(
    account: str, *, scopes: tuple[str, ...], source: Any = None, iam_endpoint: str | None = None
) -> Any:
    """Short-lived credentials of ``account``, minted from this function's own identity (or ``source``)."""
    from google.auth import impersonated_credentials

    if source is None:
        import google.auth

        source, _ = google.auth.default(scopes=("https://www.googleapis.com/auth/cloud-platform",))
    return impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=account,
        target_scopes=list(scopes),
        lifetime=3600,
        iam_endpoint_override=iam_endpoint,
    )
