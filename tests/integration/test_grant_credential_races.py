"""The access-grant credential's revocation bit under concurrency, on PostgreSQL: the read that takes
a grant's last read flips it in its own transaction, whatever reads or revocations race it.

Marked `services`: skipped without DATABASE_URL (PostgreSQL) and REDIS_URL, failed instead when
REQUIRE_SERVICES=1 (as in CI).
"""

import threading

import pytest
from django.db import connection

from consent import services
from consent.errors import AccessDenied, InvalidTransition
from consent.models import Grant, GrantCredential
from credentials.models import StatusEntry, StatusList
from credentials.statuslist import check_status
from tests.consent.conftest import CHALLENGE, DOMAIN, HR, approve, file_request
from vault.models import AccessEvent

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def revoked(credential: dict) -> bool:
    [status] = check_status(credential)
    return status.is_set


def race(*acts) -> list[object]:
    """Run each act in its own thread and connection, all released at once; their outcomes."""
    start = threading.Barrier(len(acts))
    outcomes: list[object] = []

    def run(act):
        try:
            start.wait()
            outcomes.append(act())
        except BaseException as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(act,)) for act in acts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _read(organisation, grant_id):
    return lambda: services.read_under_grant(
        organisation=organisation, grant_id=grant_id, purpose=HR, challenge=CHALLENGE, domain=DOMAIN
    )


def test_the_read_that_takes_the_last_flips_the_bit_once(employer, citizen, issued):
    assert connection.vendor == "postgresql"
    grant = approve(citizen, file_request(employer, maxReads=2)["id"])
    credential = grant["accessGrantCredential"]
    status_list = StatusList.objects.get(entries__credential_id=credential["id"])

    outcomes = race(*[_read(employer.organisation, grant["id"]) for _ in range(6)])

    served = [o for o in outcomes if isinstance(o, tuple)]
    assert len(served) == 2, outcomes
    assert {o.code for o in outcomes if isinstance(o, AccessDenied)} == {"grant-exhausted"}
    assert Grant.objects.get(pk=grant["id"]).status == "exhausted"
    assert revoked(credential)
    # One change of the list for this grant: the last read's, in its transaction.
    assert StatusList.objects.get(pk=status_list.pk).version == status_list.version + 1
    assert StatusEntry.objects.get(credential_id=credential["id"]).changed_at is not None


def test_the_last_read_and_a_revocation_racing_end_the_grant_once_and_flip_the_bit(employer, citizen, issued):
    grant = approve(citizen, file_request(employer, maxReads=1)["id"])
    credential = grant["accessGrantCredential"]

    outcomes = race(
        _read(employer.organisation, grant["id"]),
        lambda: services.revoke_grant(citizen=citizen.user, grant_id=grant["id"]),
    )

    stored = Grant.objects.get(pk=grant["id"])
    read, revocation = (
        next(o for o in outcomes if isinstance(o, tuple | AccessDenied)),
        next(o for o in outcomes if isinstance(o, Grant | InvalidTransition)),
    )
    if isinstance(read, tuple):  # the read came first: it took the last read and ended the grant
        assert stored.status == "exhausted" and isinstance(revocation, InvalidTransition)
    else:  # the revocation came first: the read was denied
        assert stored.status == "revoked" and read.code == "grant-revoked"
    assert revoked(credential)
    ends = AccessEvent.objects.filter(pod=citizen.pod, action__in=["grant.exhausted", "grant.revoked"])
    assert ends.count() == 1


def test_approvals_at_once_each_get_their_own_bit(employer, citizen):
    """The service's identity, key and list are made on first use: concurrent first approvals
    make one of each, and each grant its own index."""
    filed = [file_request(employer)["id"] for _ in range(4)]
    outcomes = race(
        *[lambda pk=pk: services.approve_request(citizen=citizen.user, request_id=pk) for pk in filed]
    )
    assert all(isinstance(o, Grant) for o in outcomes), outcomes
    entries = StatusEntry.objects.filter(
        credential_id__in=GrantCredential.objects.values_list("credential_id", flat=True)
    )
    assert entries.count() == 4
    assert len(set(entries.values_list("index", flat=True))) == 4
