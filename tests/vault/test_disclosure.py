"""The organisations' door: a permit names who reads what, and the vault signs what it releases."""

import pytest
from django.db import transaction

from vault.access import AccessContext
from vault.disclosure import Permit, present
from vault.models import AccessEvent
from vc.presentations import verify_presentation

CHALLENGE = "a-fresh-challenge-0001"
DOMAIN = "https://hr.acme.example"


def test_a_permit_names_an_organisation_and_what_it_may_read(citizen, employer):
    with pytest.raises(ValueError, match="organisation"):
        Permit(pod=citizen.pod, context=AccessContext.for_citizen(citizen.user), credential_types=("X",))
    with pytest.raises(ValueError, match="credential type"):
        Permit(
            pod=citizen.pod,
            context=AccessContext.for_organisation(employer.organisation),
            credential_types=(),
        )


def test_the_vault_presents_only_the_permitted_types_signed_by_the_holder(citizen, employer, issued):
    context = AccessContext.for_organisation(employer.organisation, purpose="dpv:HumanResourceManagement")
    with transaction.atomic():
        presentation = present(
            Permit(pod=citizen.pod, context=context, credential_types=("DiplomaCredential",)),
            challenge=CHALLENGE,
            domain=DOMAIN,
        )
        nothing = present(
            Permit(pod=citizen.pod, context=context, credential_types=("LanguageCertificate",)),
            challenge=CHALLENGE,
            domain=DOMAIN,
        )

    assert [vc["id"] for vc in presentation["verifiableCredential"]] == [issued["credentialId"]]
    assert presentation["holder"] == citizen.pod.holder_did
    assert verify_presentation(presentation, challenge=CHALLENGE, domain=DOMAIN).proofs
    assert nothing.get("verifiableCredential", []) == []
    reads = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ)
    assert sorted(reads.values_list("credential_type", flat=True)) == [
        "DiplomaCredential",
        "LanguageCertificate",
    ]
    assert {event.actor_organisation_id for event in reads} == {employer.organisation.pk}


def test_a_read_of_several_credentials_logs_each_in_one_append_and_the_tree_verifies(
    citizen, employer, university
):
    from tests.conftest import diploma
    from vault import accesslog
    from vault.selectors import verify_access_log

    for name in ("Bachelor of Laws", "Master of Laws", "Doctor of Laws"):
        body = {
            "recipient": {"nationalId": "BE:85073003328"},
            "credential": diploma(degree={"type": "MasterDegree", "name": name}),
        }
        assert university.post("/api/v1/issuer/credentials", body).status_code == 201
    before = accesslog.head_of(citizen.pod)
    context = AccessContext.for_organisation(employer.organisation, purpose="dpv:HumanResourceManagement")

    with transaction.atomic():
        presentation = present(
            Permit(pod=citizen.pod, context=context, credential_types=("DiplomaCredential",)),
            challenge=CHALLENGE,
            domain=DOMAIN,
        )

    after = accesslog.head_of(citizen.pod)
    assert len(presentation["verifiableCredential"]) == 3
    reads = list(AccessEvent.objects.filter(pod=citizen.pod, seq__gt=before.size).order_by("seq"))
    assert [event.seq for event in reads] == [before.size + 1, before.size + 2, before.size + 3]
    assert {event.action for event in reads} == {AccessEvent.Action.CREDENTIAL_READ}
    assert len({event.resource_id for event in reads}) == 3
    assert after.size == before.size + 3 and after.checkpoint != before.checkpoint
    assert verify_access_log(citizen.pod).valid
