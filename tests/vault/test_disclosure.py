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
