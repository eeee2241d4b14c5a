"""API fuzzing: schemathesis sends valid and invalid requests from schemas/openapi.yaml to the dev server.

Authenticated as a plain member of the demo team; path parameters hit the team's real ids about
half the time. No response may be a 5xx or break the spec (status code, content type, headers,
the body schema of every JSON response), and invalid requests must be rejected with a 4xx.
Bounded per operation for CI; ``BRIDGE_TRUST_SCALE`` raises the bound.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.bootstrap import Container
from shared.dev.seed import DEMO_EMAIL

from .conftest import answer_model
from .figures import record, scaled
from .helpers import GOOD, SQLITE_ONLY, TIMEOUT, put_yaml

schemathesis = pytest.importorskip("schemathesis")  # pinned in the venv: schemathesis==4.32.5

SPEC = Path(__file__).resolve().parents[2] / "schemas" / "openapi.yaml"
MEMBER = "fuzzer@bridge.local"


def _checks() -> list[Any]:
    from schemathesis.checks import (
        content_type_conformance,
        negative_data_rejection,
        not_a_server_error,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        negative_data_rejection,
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]


def _negative_path(case: Any) -> bool:
    from schemathesis.core.parameters import ParameterLocation

    meta = getattr(case, "_meta", None)
    return bool(meta is not None and meta.is_negative_at(ParameterLocation.PATH))


def _real_ids(server: Any, container: Container, token: Any) -> tuple[dict[str, str], dict[str, str]]:
    """A member of the demo team, and the demo team's ids: a dashboard, a view, a session."""
    from shared.dev.server import prepare

    team_id, conn_id = prepare(container)  # already seeded by dev_server: returns the ids
    admin = token(DEMO_EMAIL)
    added = requests.post(
        f"{server.url}/v1/teams/{team_id}/members",
        json={"email": MEMBER, "role": "member"},
        headers=admin,
        timeout=TIMEOUT,
    )
    assert added.status_code == 201, added.text
    assert put_yaml(server, admin, team_id, "rev", GOOD).status_code == 201
    session = requests.post(
        f"{server.url}/v1/chat/sessions",
        json={"team_id": team_id, "connection_id": conn_id},
        headers=admin,
        timeout=TIMEOUT,
    ).json()
    ids = {
        "team_id": team_id,
        "connection_id": conn_id,
        "session_id": session["id"],
        "slug": "rev",
        "view_id": "revenue_kpi",
        "n": "1",
    }
    return token(MEMBER), ids


@SQLITE_ONLY
def test_fuzz_the_api_against_its_spec(dev_server: Any, container: Container, token: Any) -> None:
    container.install_model(answer_model())
    headers, ids = _real_ids(dev_server, container, token)
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_path(str(SPEC))
    checks = _checks()
    per_operation = scaled(8)
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: dict[str, list[str]] = {}
    http = requests.Session()

    def fuzz(operation: Any) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @settings(
            max_examples=per_operation,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE)),
            real=st.booleans(),
        )
        def run(case: Any, real: bool) -> None:
            # a path made invalid on purpose stays invalid: real ids would make it a valid request
            if real and case.path_parameters and not _negative_path(case):
                case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
            if case.path.endswith("/events"):
                case.query = {**(case.query or {}), "wait": 0}  # idle long-poll length is not under test
            cases[label] += 1
            try:
                response = case.call(base_url=dev_server.url, session=http, headers=headers, timeout=60)
            except requests.RequestException as err:
                failures.setdefault(label, []).append(f"no answer: {err}")
                return
            statuses[response.status_code] += 1
            try:
                is_json = response.headers.get("Content-Type", "").startswith("application/json")
                # YAML downloads and SSE streams are text, not JSON documents: their bodies are not schema-checked
                body_checks = (
                    checks if is_json else [c for c in checks if c.__name__ != "response_schema_conformance"]
                )
                case.validate_response(response, checks=body_checks, headers=headers)
            except (Exception, BaseExceptionGroup) as err:  # schemathesis raises a group of check failures
                failures.setdefault(label, []).append(
                    f"{case.method} {case.formatted_path}: {str(err)[:600]}"
                )

        run()

    for result in schema.get_all_operations():
        fuzz(result.ok())
    total = sum(cases.values())
    record(
        "API fuzzing",
        tried=total,
        rejected=sum(n for s, n in statuses.items() if 400 <= s < 500),
        errors=sum(len(f) for f in failures.values()),
    )
    print(f"\nschemathesis: {total} generated cases over {len(cases)} operations; statuses {dict(statuses)}")
    assert len(cases) == len(list(schema.get_all_operations()))
    assert statuses and any(200 <= s < 300 for s in statuses), "no generated case succeeded"
    assert failures == {}, "\n".join(f"{k}: {v[0]}" for k, v in failures.items())
