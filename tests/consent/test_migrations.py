"""consent.0003 on a database that already holds requests and grants."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from consent.models import AccessRequest, Grant


@pytest.mark.django_db(transaction=True)
def test_existing_requests_get_an_answer_by_date_and_revoked_grants_an_end(citizen, employer):
    before = [("consent", "0002_field_scopes")]
    after = [("consent", "0003_lifecycle")]
    now = timezone.now()
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        OldRequest, OldGrant = old.get_model("consent", "AccessRequest"), old.get_model("consent", "Grant")
        common = {
            "requester_id": employer.organisation.pk,
            "pod_id": citizen.pod.pk,
            "credential_types": ["DiplomaCredential"],
            "purpose": "dpv:HumanResourceManagement",
            "purpose_description": "old",
        }
        far = OldRequest.objects.create(**common, requested_until=now + timedelta(days=60))
        near = OldRequest.objects.create(**common, requested_until=now + timedelta(days=2))
        decided = OldRequest.objects.create(
            **common, requested_until=now + timedelta(days=60), status="approved", decided_at=now
        )
        revoked = OldGrant.objects.create(
            request=decided,
            pod_id=citizen.pod.pk,
            grantee_id=employer.organisation.pk,
            credential_types=["DiplomaCredential"],
            purpose="dpv:HumanResourceManagement",
            valid_from=now,
            valid_until=now + timedelta(days=60),
            status="revoked",
            revoked_at=now,
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    far_now = AccessRequest.objects.get(pk=far.pk)
    assert far_now.answer_by - far_now.created_at == timedelta(days=14)
    assert AccessRequest.objects.get(pk=near.pk).answer_by == near.requested_until
    grant = Grant.objects.get(pk=revoked.pk)
    assert (grant.ended_at, grant.reads_used, grant.max_reads) == (grant.revoked_at, 0, None)
