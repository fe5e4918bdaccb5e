"""The consented read's hot path: what it costs in statements, the presentation suite the
requester chooses, and the grant lock that orders reads against a revocation on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction

from consent import services
from consent.models import Grant
from tests.support import assert_problem, pointers
from vault.models import AccessEvent
from vc.dataintegrity.sd import split_base_proofs
from vc.presentations import verify_presentation

from .conftest import CHALLENGE, DOMAIN, HR, approve, file_request, presented, read_url

# --- statements per read -----------------------------------------------------------------------


def test_a_read_of_one_credential_costs_six_statements_eight_on_sqlite(
    employer, citizen, issued, grant, on_postgres
):
    """The token (1); the savepoint of the read (2); the grant with its pod, on PostgreSQL its
    row share-locked in the same statement (1: consent.services._locked_grant); the credentials
    with the pod's log head, unlocked (1); the log: on PostgreSQL one statement that updates the
    head only if no other append got in since, and inserts only if it did (1: the compare-and-
    set, vault.accesslog.append_all's ``seen``); on SQLite, which has no data-modifying CTE,
    lock the head, insert, update the head (3). A token used in the last minute is not written
    again (accounts.services.LAST_USED_RESOLUTION)."""
    assert employer.get(read_url(grant["id"])).status_code == 200
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as statements:
        response = employer.get(read_url(grant["id"]))
    assert len(presented(response)) == 1
    sql = [query["sql"] for query in statements.captured_queries]
    if on_postgres:
        [locking] = [statement for statement in sql if "FOR SHARE" in statement]
        assert 'FROM "consent_grant"' in locking and '"max_reads" IS NULL' in locking
        assert 'FOR SHARE OF "consent_grant"' in locking and '"vault_pod"' in locking  # read with its pod
        [append] = [statement for statement in sql if "INSERT" in statement]
        assert append.startswith('WITH head AS (UPDATE "vault_podlog"') and '"size" = ' in append
        assert "WHERE EXISTS (SELECT FROM head)" in append
        assert not any("FOR UPDATE" in statement for statement in sql)  # the head is not locked first
    assert not any("UPDATE" in statement and "consent_grant" in statement for statement in sql)
    assert len(sql) == (6 if on_postgres else 8), [statement[:80] for statement in sql]
    # Django composes no ORDER BY for the token's and the grant's one row, and no join to the
    # issuers for the credentials (the presentation carries the issuers' own names).
    [token] = [statement for statement in sql if 'FROM "accounts_apitoken"' in statement]
    [read] = [statement for statement in sql if 'FROM "consent_grant"' in statement]
    [credentials] = [statement for statement in sql if 'JOIN "vault_podcredential"' in statement]
    assert "ORDER BY" not in token and "ORDER BY" not in read
    assert "accounts_organisation" not in credentials
    assert '"vault_podlog"' in credentials  # the log head, read with them


def test_a_read_under_a_grant_with_a_limit_locks_it_exclusively_and_counts(
    employer, citizen, issued, on_postgres
):
    """A grant with a read limit: the share-locking statement finds no grant without a limit, so
    the next one reads it locked FOR NO KEY UPDATE (one statement more than a grant without a
    limit), and the read is counted (one statement more); on SQLite one read of the grant, and
    the log's three statements."""
    limited = approve(citizen, file_request(employer, maxReads=5)["id"])
    assert employer.get(read_url(limited["id"])).status_code == 200
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as statements:
        response = employer.get(read_url(limited["id"]))
    assert len(presented(response)) == 1
    sql = [query["sql"] for query in statements.captured_queries]
    if on_postgres:
        [share, exclusive] = [statement for statement in sql if 'FROM "consent_grant"' in statement]
        assert '"max_reads" IS NULL' in share and 'FOR SHARE OF "consent_grant"' in share
        assert 'FOR NO KEY UPDATE OF "consent_grant"' in exclusive and '"vault_pod"' in exclusive
    assert Grant.objects.get(pk=limited["id"]).reads_used == 2
    assert len(sql) == (8 if on_postgres else 9), [statement[:80] for statement in sql]


# --- the presentation's suite ------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_the_requester_chooses_the_presentation_suite(employer, citizen, issued, grant, suite):
    response = employer.get(read_url(grant["id"]) + f"&cryptosuite={suite}")
    [credential] = presented(response)
    presentation = response.json()["verifiablePresentation"]
    assert presentation["proof"]["cryptosuite"] == suite
    verified = verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN)
    assert verified.holder == citizen.pod.holder_did
    # The issuer's own proof for whole reads, whatever the holder's suite; the base proof stays home.
    assert credential == split_base_proofs(issued["credential"])[0]


def test_the_presentation_suite_is_eddsa_jcs_2022_by_default(employer, citizen, issued, grant):
    response = employer.get(read_url(grant["id"]))
    presentation = response.json()["verifiablePresentation"]
    assert presentation["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert (
        verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN).holder == citizen.pod.holder_did
    )


def test_a_jcs_presentation_is_held_to_strict_json_ld_however_often_the_pod_is_read(
    employer, citizen, issued, grant
):
    """JCS signs the JSON; the check that every term is defined is remembered per document
    (by digest), so a document that differs by one undefined term is checked, and refused."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from vc.errors import UndefinedTerm
    from vc.multikey import did_key_for
    from vc.presentations import create_presentation

    for _ in range(2):
        assert employer.get(read_url(grant["id"])).status_code == 200
    key = Ed25519PrivateKey.generate()
    did_key = did_key_for(key.public_key())
    with pytest.raises(UndefinedTerm):
        create_presentation(
            [dict(issued["credential"], somethingUndefined="x")],
            holder=did_key.did,
            private_key=key,
            verification_method=did_key.verification_method,
            challenge=CHALLENGE,
            domain=DOMAIN,
            cryptosuite="eddsa-jcs-2022",
        )


@pytest.mark.parametrize("suite", ["eddsa-2022", "Ed25519Signature2020", "ecdsa-rdfc-2019"])
def test_an_unknown_presentation_suite_is_a_400_that_reads_and_logs_nothing(
    employer, citizen, issued, grant, suite
):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    response = employer.get(read_url(grant["id"]) + f"&cryptosuite={suite}")
    assert pointers(assert_problem(response, 400, "validation-error")) == ["/cryptosuite"]
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before


def test_the_service_refuses_an_unknown_suite_before_reading(employer, citizen, issued, grant):
    from vc.errors import ProofOptionsInvalid

    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    with pytest.raises(ProofOptionsInvalid):
        services.read_under_grant(
            organisation=employer.organisation,
            grant_id=grant["id"],
            purpose=HR,
            challenge=CHALLENGE,
            domain=DOMAIN,
            cryptosuite="eddsa-2022",
        )
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before


# --- the grant lock on PostgreSQL --------------------------------------------------------------

postgresql = pytest.mark.skipif(
    not __import__("os").environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="row locks: PostgreSQL only (SQLite serialises writing transactions)",
)


def _read(organisation, grant_id):
    return services.read_under_grant(
        organisation=organisation, grant_id=grant_id, purpose=HR, challenge=CHALLENGE, domain=DOMAIN
    )


class PausedRead(threading.Thread):
    """A read under the grant, paused after its decision (the grant locked and read, nothing
    logged yet) until released: a read in flight."""

    def __init__(self, organisation, grant_id, monkeypatch):
        super().__init__()
        self.organisation, self.grant_id = organisation, grant_id
        self.decided, self.release = threading.Event(), threading.Event()
        self.outcome: object = None
        real_decide = services.decide

        def decide_then_wait(*args, **kwargs):
            decision = real_decide(*args, **kwargs)
            if threading.current_thread() is self:
                self.decided.set()
                self.release.wait()
            return decision

        monkeypatch.setattr(services, "decide", decide_then_wait)

    def run(self):
        try:
            self.outcome = _read(self.organisation, self.grant_id)
        except BaseException as exc:  # reported to the test below
            self.outcome = exc
        finally:
            connection.close()


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_second_read_of_one_grant_does_not_wait_for_a_read_in_flight(
    employer, citizen, issued, grant, monkeypatch
):
    first = PausedRead(employer.organisation, grant["id"], monkeypatch)
    first.start()
    try:
        assert first.decided.wait(timeout=30)
        # A revocation would have to wait for the read in flight ...
        with transaction.atomic(), pytest.raises(Exception, match="could not obtain lock"):
            Grant.objects.select_for_update(nowait=True).filter(pk=grant["id"]).first()
        # ... another read of the grant does not: it passes the grant while the first one holds it.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '20s'")  # a hang becomes an error
            _, presentation = _read(employer.organisation, grant["id"])
        assert len(presentation["verifiableCredential"]) == 1
    finally:
        first.release.set()
        first.join()
    assert isinstance(first.outcome, tuple), first.outcome
    reads = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ)
    assert reads.count() == 2


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_revocation_waits_for_the_read_in_flight_and_wins_every_later_read(
    employer, citizen, issued, grant, monkeypatch
):
    from consent.errors import AccessDenied

    reader = PausedRead(employer.organisation, grant["id"], monkeypatch)
    reader.start()
    revoked: list[object] = []

    def revoke():
        try:
            revoked.append(services.revoke_grant(citizen=citizen.user, grant_id=grant["id"]))
        except BaseException as exc:
            revoked.append(exc)
        finally:
            connection.close()

    revoker = threading.Thread(target=revoke)
    try:
        assert reader.decided.wait(timeout=30)
        revoker.start()
        for _ in range(600):  # until the revocation is seen waiting on the grant's row lock
            if _waiting_on_a_lock():
                break
            threading.Event().wait(0.05)
        assert _waiting_on_a_lock() == 1
        assert revoked == []  # still waiting for the read in flight
    finally:
        reader.release.set()
        reader.join()
        revoker.join()
    assert isinstance(reader.outcome, tuple), reader.outcome  # the read in flight was served
    assert isinstance(revoked[0], Grant) and revoked[0].status == Grant.Status.REVOKED
    with pytest.raises(AccessDenied):
        _read(employer.organisation, grant["id"])
    actions = list(
        AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("action", flat=True)
    )
    # the served read is logged before the revocation, the later attempt after it, denied
    assert actions[-3:] == ["credential.read", "grant.revoked", "access.denied"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_read_that_waited_for_a_revocation_in_flight_is_denied_once_it_commits(
    employer, citizen, issued, grant, monkeypatch
):
    """The grant's row is locked and read in one statement: a read that came while a revocation
    held the row must still decide on the revoked grant, not on the row it first found."""
    from consent.errors import AccessDenied

    holding, release = threading.Event(), threading.Event()
    real_transition = services._transition

    def transition_then_wait(obj, to):
        real_transition(obj, to)
        if to == Grant.Status.REVOKED:
            holding.set()  # the grant's row is locked FOR UPDATE, the revocation not yet committed
            release.wait()

    monkeypatch.setattr(services, "_transition", transition_then_wait)
    outcomes: dict[str, object] = {}

    def run(name, act):
        try:
            outcomes[name] = act()
        except BaseException as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    revoker = threading.Thread(
        target=run, args=("revoke", lambda: services.revoke_grant(citizen=citizen.user, grant_id=grant["id"]))
    )
    reader = threading.Thread(target=run, args=("read", lambda: _read(employer.organisation, grant["id"])))
    revoker.start()
    try:
        assert holding.wait(timeout=30)
        reader.start()
        for _ in range(600):  # until the read is seen waiting on the grant's row lock
            if _waiting_on_a_lock():
                break
            threading.Event().wait(0.05)
        assert _waiting_on_a_lock() == 1
        assert "read" not in outcomes
    finally:
        release.set()
        revoker.join()
        if reader.is_alive() or reader.ident:
            reader.join()
    assert isinstance(outcomes["revoke"], Grant)
    assert isinstance(outcomes["read"], AccessDenied), outcomes["read"]
    actions = list(
        AccessEvent.objects.filter(pod=citizen.pod).order_by("seq").values_list("action", flat=True)
    )
    assert actions[-2:] == ["grant.revoked", "access.denied"]
    assert "credential.read" not in actions


# --- the grant's statement, written once per process ---------------------------------------------


@pytest.mark.parametrize("lock", ["none", "share", "exclusive"])
def test_the_grant_read_by_its_statement_is_the_grant_the_orm_reads_with_its_pod_and_grantee(
    employer, citizen, grant, lock, on_postgres
):
    """consent.services._grant_row makes the grant, its pod and its grantee as select_related()
    does: every field converted alike, and the pod and grantee read with it (no query of their own)."""
    from django.test.utils import CaptureQueriesContext

    if lock != "none" and not on_postgres:
        pytest.skip("row locks: PostgreSQL only")

    def values(instance):
        return {
            field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields
        }

    expected = Grant.objects.select_related("pod", "grantee").get(pk=grant["id"])
    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        made = services._grant_row(expected.pk, lock)
        assert made is not None
        pod, grantee = made.pod, made.grantee
    assert len(statements.captured_queries) == 1
    assert values(made) == values(expected)
    assert values(pod) == values(expected.pod) and values(grantee) == values(expected.grantee)
    assert made.scope.credential_types == expected.scope.credential_types
    assert (made._state.adding, pod._state.adding, grantee._state.adding) == (False, False, False)


def test_the_grants_statement_finds_no_grant_by_an_unknown_id_and_no_limited_grant_to_share(
    employer, citizen, on_postgres
):
    import uuid

    assert services._grant_row(uuid.uuid4(), "none") is None
    if on_postgres:
        limited = approve(citizen, file_request(employer, maxReads=2)["id"])
        with transaction.atomic():
            assert services._grant_row(uuid.UUID(limited["id"]), "share") is None
            assert services._grant_row(uuid.UUID(limited["id"]), "exclusive").max_reads == 2
