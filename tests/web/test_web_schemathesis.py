"""Schemathesis against the served OpenAPI document: 0 server errors, and every
answer matches the document (status codes, content types, response schemas).

Runs as a member holding every role, so that generated requests get past
authorisation and reach the workflow; on PostgreSQL too (``make test``), where
text the database cannot store (NUL, lone surrogates) must be refused politely.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
import schemathesis.checks as checks
from hypothesis import HealthCheck, given, settings
from web_org import HASHER, PASSWORD, Tenant, Web

from warden.workflow import organisations
from warden.workflow.principal import Role

pytestmark = pytest.mark.db
EXAMPLES = 12
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


def test_generated_requests_never_break_the_server(web: Web, north: Tenant) -> None:
    organisations.add_member(north.sessions, north.principal("admin"), email="every@north.example.com",
                             display_name="Every Role", password=PASSWORD, roles={north.team: [r.value for r in Role]},
                             hasher=HASHER)
    client = web.client()
    signed = client.post("/api/v1/auth/login", json={"organisation": "north", "email": "every@north.example.com",
                                                      "password": PASSWORD})
    cookies, csrf = dict(client.http.cookies), signed.json()["csrf_token"]
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web.app)
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/auth/logout"):
            continue  # it would end the session the rest runs in; tested in test_web_auth

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal calls
            case.headers = {k: v for k, v in (case.headers or {}).items()
                            if k.lower() not in ("authorization", "cookie", "x-csrf-token")} | {"X-CSRF-Token": csrf}
            case.cookies = {}
            response = case.call(cookies=cookies, base_url="https://testserver")
            calls += 1
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as failure:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(failure)[:600]}")
    assert calls > 300
    assert not failures, "\n\n".join(failures)
