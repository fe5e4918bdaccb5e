"""What an operator can do in the admin, and what they must not: act as a citizen."""

import pytest
from django.test import Client

from accounts.models import ApiToken

PASSWORD = "operator password 123"


@pytest.fixture
def operator(db, django_user_model):
    django_user_model.objects.create_superuser("operator", "operator@example.org", PASSWORD)
    client = Client()
    assert client.login(username="operator", password=PASSWORD)
    return client


def test_operator_creates_an_organisation_token_shown_once(operator, employer):
    response = operator.post(
        "/admin/accounts/apitoken/add/",
        {"name": "HR system", "organisation": employer.organisation.pk},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="HR system")
    assert token.organisation == employer.organisation
    shown = [str(m) for m in response.context["messages"]]
    assert any(f"cvt_{token.prefix}_" in m for m in shown)


def test_operator_cannot_create_a_token_for_a_citizen(operator, citizen):
    response = operator.post("/admin/accounts/apitoken/add/", {"name": "sneaky", "user": citizen.user.pk})
    assert response.status_code == 200  # the form comes back: an organisation is required
    assert b"This field is required" in response.content
    assert not ApiToken.objects.filter(name="sneaky").exists()


def test_operator_cannot_change_a_citizens_account_or_password(operator, citizen):
    assert (
        operator.post(
            f"/admin/accounts/user/{citizen.user.pk}/change/", {"email": "x@example.org"}
        ).status_code
        == 403
    )
    response = operator.post(
        f"/admin/accounts/user/{citizen.user.pk}/password/",
        {"password1": "new-password-123!", "password2": "new-password-123!"},
    )
    assert response.status_code == 403
    citizen.user.refresh_from_db()
    assert not citizen.user.check_password("new-password-123!")


@pytest.mark.parametrize("model", ["accessrequest", "grant"])
def test_operator_cannot_delete_consent_records(operator, model, citizen, pending):
    from consent.services import approve_request

    grant = approve_request(citizen=citizen.user, request_id=pending.pk)
    pk = pending.pk if model == "accessrequest" else grant.pk
    assert operator.post(f"/admin/consent/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403


def test_an_issuer_added_in_the_admin_gets_a_signing_key(operator):
    from accounts.models import Organisation

    response = operator.post(
        "/admin/accounts/organisation/add/",
        {
            "name": "Ghent University",
            "slug": "ugent",
            "kind": "issuer",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "signing_keys-TOTAL_FORMS": "0",
            "signing_keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    organisation = Organisation.objects.get(slug="ugent")
    key, p256 = organisation.signing_keys.order_by("key_type")
    assert key.did.startswith("did:key:z6Mk") and p256.did.startswith("did:key:zDn")
    page = operator.get(f"/admin/accounts/organisation/{organisation.pk}/change/").content.decode()
    assert key.did in page and p256.did in page
    assert "private" not in page.lower()


def test_the_admin_rotates_an_issuers_key_and_keeps_the_old_one(operator, university, employer):
    old = list(university.organisation.signing_keys.all())
    assert sorted(key.key_type for key in old) == ["Ed25519", "P-256"]
    operator.post(
        "/admin/accounts/organisation/",
        {
            "action": "generate_signing_key",
            "_selected_action": [university.organisation.pk, employer.organisation.pk],
        },
    )
    keys = university.organisation.signing_keys.order_by("created_at")
    assert keys.count() == 4  # the Ed25519 and P-256 keys rotate together
    for key in old:
        key.refresh_from_db()
        assert key.retired_at is not None
    active = keys.filter(retired_at__isnull=True)
    assert sorted(active.values_list("key_type", flat=True)) == ["Ed25519", "P-256"]
    assert not employer.organisation.signing_keys.exists()
