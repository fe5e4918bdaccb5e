"""Fuzz every operation of the served OpenAPI schema (schemathesis, in-process over WSGI).

For inputs generated from the schema, valid and invalid alike, each authenticated as the kind of
actor the operation is for, the API must never answer 5xx, and every answer must match what the
schema documents: status code, content type, body.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.serialization import serialize_binary

# Django's WSGI handler, not config.wsgi: that module also checks the key rings against the
# database at import (config.startup), and collection happens before the test database exists.
application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


# Raw file bodies (a document, a pod export): sent as the bytes generated.
@schemathesis.serializer("application/pdf", "image/png", "image/jpeg", "application/zip")
def _binary(ctx, value) -> bytes:
    return serialize_binary(value)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def world(citizen, pending):
    """One diploma issued, one request pending (decidedAt null) and one approved into an active
    grant (revokedAt null): responses then carry the nulls their schema must allow."""
    from django.utils import timezone

    from consent.services import approve_request, file_access_request

    approved = file_access_request(
        requester=pending.requester,
        national_id="BE:85073003328",
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="A second vacancy",
        valid_until=timezone.now() + timezone.timedelta(days=10),
    )
    approve_request(citizen=citizen.user, request_id=approved.pk)


@pytest.fixture
def tokens(university, employer, citizen, issued, world):
    """API tokens per actor, for the world above.

    Calling the WSGI application directly fires request_started/finished, whose handler closes a
    connection it finds inside a transaction: the test's own. Django's test client disconnects it
    around each of its requests (and reconnects it after, so this must come after the fixtures
    that use the client); we disconnect it for the rest of the test.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"issuer": university.token, "employer": employer.token, "citizen": citizen.token}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _actor_for(path: str) -> str | None:
    if path.startswith("/api/v1/issuer/"):
        return "issuer"
    if path.startswith("/api/v1/pod"):
        return "citizen"
    if path.startswith("/api/v1/"):
        return "employer"
    return None  # public


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_operation_never_fails_and_matches_its_schema(case, tokens):
    actor = _actor_for(case.path)
    headers = {"Authorization": f"Bearer {tokens[actor]}"} if actor else {}
    case.call_and_validate(headers=headers, checks=CHECKS)
