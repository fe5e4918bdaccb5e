"""vault.services.citizen_signing_in: the citizen an OpenID Connect sign-in names, registered with
a pod on their first sign-in (the HTTP flow itself: tests/accounts/test_oidc.py)."""

import threading

import pytest
from django.db import connection, transaction

from accounts.errors import SignInRefused
from accounts.identity import national_id_digests
from accounts.models import User
from tests.conftest import make_citizen
from vault.models import AccessEvent, Pod
from vault.services import citizen_signing_in

NATIONAL_ID = "BE:85073003328"


def test_a_first_sign_in_registers_the_citizen_with_a_pod_and_logs_its_opening(db):
    user, created = citizen_signing_in(national_id=NATIONAL_ID, email="an@example.org")
    assert created and user.email == "an@example.org" and user.username == "an@example.org"
    assert user.national_id_digest == national_id_digests(NATIONAL_ID)[0]
    assert not user.has_usable_password()
    pod = Pod.objects.get(owner=user)
    assert AccessEvent.objects.filter(pod=pod, action=AccessEvent.Action.POD_OPENED).count() == 1


def test_a_returning_citizen_is_found_not_registered_again(db):
    existing = make_citizen("an@example.org", NATIONAL_ID)
    user, created = citizen_signing_in(national_id=NATIONAL_ID, email="other@example.org")
    assert not created and user == existing.user
    assert Pod.objects.count() == 1


@pytest.mark.parametrize("email", ["", "not an address", "a" * 140 + "@example.org"])
def test_a_missing_or_unusable_address_gets_an_undeliverable_one(db, email):
    user, _ = citizen_signing_in(national_id=NATIONAL_ID, email=email)
    assert user.email.endswith("@citizens.invalid")


def test_an_address_in_use_is_never_joined_to_the_new_citizen(db):
    someone = make_citizen("an@example.org", "BE:90010112395")
    user, created = citizen_signing_in(national_id=NATIONAL_ID, email="AN@example.org")
    assert created and user != someone.user and user.email.endswith("@citizens.invalid")


def test_a_deactivated_citizen_is_refused_not_registered_again(db):
    existing = make_citizen("an@example.org", NATIONAL_ID)
    User.objects.filter(pk=existing.user.pk).update(is_active=False)
    with pytest.raises(SignInRefused) as refused:
        citizen_signing_in(national_id=NATIONAL_ID, email="an@example.org")
    assert refused.value.reason == "account-inactive"
    assert User.objects.count() == 1


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_first_sign_ins_at_once_make_one_citizen(on_postgres):
    if not on_postgres:
        pytest.skip("concurrent transactions: PostgreSQL only")
    made, release = threading.Event(), threading.Event()
    first: list[object] = []
    second: list[object] = []

    def sign_in(into: list, email: str, hold: bool) -> None:
        try:
            with transaction.atomic():
                into.append(citizen_signing_in(national_id=NATIONAL_ID, email=email))
                if hold:
                    made.set()
                    release.wait(timeout=30)  # keeps its uncommitted citizen
        except BaseException as exc:
            into.append(exc)
            made.set()
        finally:
            connection.close()

    thread = threading.Thread(target=sign_in, args=(first, "an@example.org", True))
    thread.start()
    try:
        assert made.wait(timeout=30)
        other = threading.Thread(target=sign_in, args=(second, "an.other@example.org", False))
        other.start()
        for _ in range(600):  # until the second insert waits on the first's unique digest
            if _waiting_on_a_lock():
                break
            threading.Event().wait(0.05)
        assert _waiting_on_a_lock() == 1
    finally:
        release.set()
        thread.join()
    other.join()
    (user_a, created_a), (user_b, created_b) = first[0], second[0]
    assert created_a and not created_b, (first, second)
    assert user_a.pk == user_b.pk
    assert User.objects.count() == 1 and Pod.objects.count() == 1
