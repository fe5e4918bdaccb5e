"""What the legal-read tests share: a mandate, a legal read through the API, a held diploma."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organisation
from consent.models import Mandate
from consent.services import register_mandate

from .fields import AWARDED_ON, DEGREE_NAME, distinctive_diploma

DIPLOMA = "DiplomaCredential"
CHALLENGE = "9f2c1e7a-agency-nonce-0001"
DOMAIN = "https://fiu.example.gov"
LAW_URL = "https://www.ejustice.just.fgov.be/eli/wet/2017/09/18/2017013211/justel"
LAW_TITLE = "Anti-Money Laundering Act of 18 September 2017, art. 79"
CASE = "AML/2026/0042"
LEGAL = "dpv:LegalCompliance"
OTHER_NATIONAL_ID = "BE:90020199902"


def issue_diploma(university, national_id: str) -> None:
    response = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": national_id}, "credential": distinctive_diploma()},
    )
    assert response.status_code == 201, response.json()


@pytest.fixture
def holding(university, citizen):
    """The citizen holds a diploma (issued with its ecdsa-sd-2023 base proof)."""
    issue_diploma(university, "BE:85073003328")
    return citizen


def mandate_for(
    agency: Organisation, *, claims=(DEGREE_NAME, AWARDED_ON), delay: int = 0, **kwargs
) -> Mandate:
    return register_mandate(
        agency=agency,
        reference_url=LAW_URL,
        reference_title=LAW_TITLE,
        credential_types=[DIPLOMA],
        claims={DIPLOMA: list(claims)} if claims is not None else None,
        purpose=LEGAL,
        valid_until=kwargs.pop("valid_until", timezone.now() + timedelta(days=365)),
        disclosure_delay_days=delay,
        operator_label="test operator",
        **kwargs,
    )


@pytest.fixture
def mandate(agency) -> Mandate:
    return mandate_for(agency.organisation)


def legal_read(actor, mandate_id, *, citizens=("BE:85073003328",), case=CASE, **extra):
    body = {
        "mandate": str(mandate_id),
        "citizens": [{"nationalId": national_id} for national_id in citizens],
        "challenge": CHALLENGE,
        "domain": DOMAIN,
        **extra,
    }
    if case is not None:
        body["caseReference"] = case
    return actor.post("/api/v1/legal-reads", body)
