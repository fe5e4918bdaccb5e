"""Agencies under law: mandates, legal reads (one citizen or many) and what the citizen sees.

The attacks of issue 16, one test each (run on PostgreSQL too): an agency without a mandate,
outside its mandate's types, outside its fields (by pointer, by another spelling, through a
nested object), with another agency's mandate, under an ended or expired mandate, without a case
reference; a bulk read logs one entry per person, in each person's own pod.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organisation
from consent.errors import InvalidMandate
from consent.models import Mandate, MandateEvent
from consent.services import end_mandate, register_mandate
from inbox.models import Notification
from tests.conftest import make_citizen, make_organisation
from tests.support import assert_problem
from vault.models import AccessEvent
from vault.selectors import verify_access_log
from vc.dataintegrity import verify_proof

from .conftest import CHALLENGE, DIPLOMA, DOMAIN
from .fields import AWARDED_ON, DEGREE_NAME, GRADE, SHARED, WITHHELD
from .legal import CASE, LAW_TITLE, LAW_URL, LEGAL, issue_diploma, legal_read, mandate_for


def _entries(citizen, **filters) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(pod=citizen.pod, **filters).order_by("seq"))


def _reads(citizen) -> list[AccessEvent]:
    return _entries(citizen, action=AccessEvent.Action.CREDENTIAL_READ)


def _assert_denied_and_logged(response, citizen, status: int, reason: str) -> AccessEvent:
    assert_problem(response, status, reason)
    body = response.content.decode()
    for value in [*WITHHELD.values(), *SHARED.values()]:
        assert value not in body
    assert not _reads(citizen)
    [denial] = _entries(citizen, outcome=AccessEvent.Outcome.DENIED)
    assert denial.action == AccessEvent.Action.ACCESS_DENIED
    assert denial.reason == reason
    assert denial.legal, "a denied legal read is marked as a legal read"
    assert verify_access_log(citizen.pod).valid
    return denial


# --- mandates --------------------------------------------------------------------------------


def test_a_mandate_is_checked_against_the_registry_and_audited(agency):
    mandate = mandate_for(agency.organisation, delay=30)
    assert mandate.credential_types == [DIPLOMA]
    assert mandate.claims == {DIPLOMA: sorted([DEGREE_NAME, AWARDED_ON])}
    [event] = MandateEvent.objects.filter(mandate=mandate)
    assert event.action == MandateEvent.Action.REGISTERED
    assert event.operator_label == "test operator"
    assert event.snapshot["referenceUrl"] == LAW_URL
    assert event.snapshot["disclosureDelayDays"] == 30
    end_mandate(mandate_id=mandate.pk, reason="Repealed", operator_label="another operator")
    assert [e.action for e in MandateEvent.objects.filter(mandate=mandate).order_by("at", "pk")] == [
        "registered",
        "ended",
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"claims": ["/credentialSubject/degree"]},  # an object holding claims
        {"claims": ["/credentialSubject/degree~1name"]},  # another spelling
        {"reference_url": "javascript:alert(1)"},
        {"reference_title": ""},
        {"purpose": "dpv:Marketing"},
        {"delay": 4000},
    ],
)
def test_a_mandate_the_registry_or_the_rules_refuse_is_not_registered(agency, change):
    with pytest.raises(InvalidMandate):
        kwargs = {"reference_url": LAW_URL, "reference_title": LAW_TITLE, "purpose": LEGAL, "delay": 0}
        kwargs.update(change)
        register_mandate(
            agency=agency.organisation,
            reference_url=kwargs["reference_url"],
            reference_title=kwargs["reference_title"],
            credential_types=[DIPLOMA],
            claims={DIPLOMA: change.get("claims", [DEGREE_NAME])},
            purpose=kwargs["purpose"],
            valid_until=timezone.now() + timedelta(days=30),
            disclosure_delay_days=kwargs["delay"],
        )
    assert not Mandate.objects.exists()


def test_only_an_agency_holds_a_mandate(employer):
    with pytest.raises(InvalidMandate):
        mandate_for(employer.organisation)


# --- legal reads ----------------------------------------------------------------------------


def test_a_legal_read_releases_only_the_mandates_fields_and_is_logged_as_one(agency, holding, mandate):
    response = legal_read(agency, mandate.pk)
    assert response.status_code == 200, response.json()
    [result] = response.json()["results"]
    assert result["outcome"] == "read" and result["sealedUntil"] is None
    [credential] = result["verifiablePresentation"]["verifiableCredential"]
    subject = credential["credentialSubject"]
    assert subject["degree"]["name"] == SHARED[DEGREE_NAME]
    assert {"givenName", "familyName", "grade", "fieldOfStudy"}.isdisjoint(subject)
    assert verify_proof(credential).cryptosuite == "ecdsa-sd-2023"
    for value in WITHHELD.values():
        assert value not in response.content.decode()

    [read] = _reads(holding)
    assert read.actor_label == agency.organisation.name
    assert read.legal == {"mandate": str(mandate.pk), "reference": LAW_URL, "title": LAW_TITLE, "case": CASE}
    assert read.fields == sorted([DEGREE_NAME, AWARDED_ON])
    assert read.purpose == LEGAL and read.grant_id is None
    assert verify_access_log(holding.pod).valid
    # The citizen's log API marks it, and the citizen is told at once.
    entry = holding.get("/api/v1/pod/log").json()["results"][0]
    assert entry["legal"]["reference"] == LAW_URL and entry["legal"]["case"] == CASE
    [notice] = Notification.objects.filter(recipient=holding.user, kind=Notification.Kind.LEGAL_READ)
    assert notice.actor_label == agency.organisation.name


def test_a_single_citizen_may_be_named_as_citizen(agency, holding, mandate):
    response = agency.post(
        "/api/v1/legal-reads",
        {
            "mandate": str(mandate.pk),
            "caseReference": CASE,
            "citizen": {"nationalId": "BE:85073003328"},
            "challenge": CHALLENGE,
            "domain": DOMAIN,
        },
    )
    assert response.status_code == 200, response.json()
    assert len(_reads(holding)) == 1


def test_attack_an_agency_without_a_mandate(agency, holding):
    import uuid

    response = legal_read(agency, uuid.uuid4())
    denial = _assert_denied_and_logged(response, holding, 403, "no-mandate")
    assert denial.legal["case"] == CASE and denial.legal["reference"] == ""


def test_an_employer_cannot_read_under_law_nor_learn_who_has_a_pod(employer, holding, mandate):
    response = legal_read(employer, mandate.pk)
    assert_problem(response, 403)
    unknown = legal_read(employer, mandate.pk, citizens=["BE:00000000097"])
    assert unknown.status_code == 403  # the same answer for a citizen who has no pod here
    assert not _entries(holding, outcome=AccessEvent.Outcome.DENIED)


def test_the_service_refuses_and_logs_a_non_agency_all_the_same(employer, holding, mandate):
    from consent.errors import AccessDenied
    from consent.services import read_under_mandate

    with pytest.raises(AccessDenied):
        read_under_mandate(
            organisation=employer.organisation,
            mandate_id=mandate.pk,
            case_reference=CASE,
            national_ids=["BE:85073003328"],
            challenge="9f2c1e7a-agency-nonce-0001",
            domain="https://hr.example",
        )
    [denial] = _entries(holding, outcome=AccessEvent.Outcome.DENIED)
    assert denial.reason == "not-an-agency"


def test_attack_outside_the_mandates_types(agency, holding, mandate, identity_type):
    response = legal_read(agency, mandate.pk, type=identity_type)
    denial = _assert_denied_and_logged(response, holding, 403, "out-of-mandate")
    assert denial.credential_type == identity_type
    assert denial.legal["reference"] == LAW_URL


def _claims_read(agency, mandate, *claims):
    return legal_read(agency, mandate.pk, type=DIPLOMA, claims=list(claims))


def test_attack_outside_the_mandates_fields_by_pointer(agency, holding, mandate):
    response = _claims_read(agency, mandate, DEGREE_NAME, GRADE)
    denial = _assert_denied_and_logged(response, holding, 403, "field-out-of-mandate")
    assert denial.fields == sorted([DEGREE_NAME, GRADE])


@pytest.mark.parametrize(
    "spelling",
    [
        "/credentialSubject/degree~1name",
        "/credentialSubject/awardedOn/",
        "/credentialSubject//awardedOn",
        "credentialSubject/awardedOn",
        "/credentialSubject/awardedon",
    ],
)
def test_attack_outside_the_mandates_fields_by_another_spelling(agency, holding, mandate, spelling):
    response = _claims_read(agency, mandate, spelling)
    denial = _assert_denied_and_logged(response, holding, 403, "field-out-of-mandate")
    assert denial.fields == [spelling]


@pytest.mark.parametrize("nested", ["/credentialSubject/degree", "/credentialSubject"])
def test_attack_outside_the_mandates_fields_through_a_nested_object(agency, holding, mandate, nested):
    response = _claims_read(agency, mandate, nested)
    _assert_denied_and_logged(response, holding, 403, "field-out-of-mandate")


def test_attack_with_another_agencys_mandate(agency, holding):
    other = make_organisation("Tax Inspection", Organisation.Kind.AGENCY)
    theirs = mandate_for(other.organisation)
    response = legal_read(agency, theirs.pk)
    denial = _assert_denied_and_logged(response, holding, 403, "not-mandate-holder")
    # The attempt is the asker's: the citizen's log names it, not the other agency's law.
    assert denial.actor_organisation_id == agency.organisation.pk
    assert denial.legal["reference"] == "" and denial.legal["mandate"] == str(theirs.pk)


def test_attack_under_an_ended_mandate(agency, holding, mandate):
    end_mandate(mandate_id=mandate.pk, reason="Repealed")
    response = legal_read(agency, mandate.pk)
    _assert_denied_and_logged(response, holding, 403, "mandate-ended")


def test_attack_under_an_expired_mandate(agency, holding):
    mandate = mandate_for(
        agency.organisation,
        valid_from=timezone.now() - timedelta(days=10),
        valid_until=timezone.now() + timedelta(seconds=1),
    )
    Mandate.objects.filter(pk=mandate.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    response = legal_read(agency, mandate.pk)
    _assert_denied_and_logged(response, holding, 403, "mandate-expired")


@pytest.mark.parametrize("case", [None, "", " AML/1", "AML\n1", "x" * 65, "<script>"])
def test_attack_without_a_case_reference(agency, holding, mandate, case):
    response = legal_read(agency, mandate.pk, case=case)
    denial = _assert_denied_and_logged(response, holding, 400, "case-reference-missing")
    assert denial.legal["case"] == ""  # what the agency sent is not copied into the log


def test_a_bulk_read_logs_one_entry_per_person_in_each_persons_pod(agency, university, holding, mandate):
    others = [make_citizen(f"c{n}@example.org", f"NL:10000000{n}") for n in range(3)]
    for n in range(3):
        issue_diploma(university, f"NL:10000000{n}")
    named = ["BE:85073003328", *[f"NL:10000000{n}" for n in range(3)]]
    people = [holding, *others]
    before = {c.pod.pk: AccessEvent.objects.filter(pod=c.pod).count() for c in people}
    response = legal_read(agency, mandate.pk, citizens=named)
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["nationalId"] for r in results] == named
    assert all(r["outcome"] == "read" for r in results)
    for person in people:
        new = AccessEvent.objects.filter(pod=person.pod).count() - before[person.pod.pk]
        assert new == 1, "one entry per person, in that person's own pod"
        [read] = _reads(person)
        assert read.legal["case"] == CASE
        assert read.actor_organisation_id == agency.organisation.pk
        assert verify_access_log(person.pod).valid
    assert Notification.objects.filter(kind=Notification.Kind.LEGAL_READ).count() == len(named)


def test_a_bulk_read_naming_an_unknown_citizen_reads_and_logs_nothing(agency, holding, mandate):
    response = legal_read(agency, mandate.pk, citizens=["BE:85073003328", "BE:90020199902"])
    assert_problem(response, 404)
    assert not _entries(holding, action=AccessEvent.Action.CREDENTIAL_READ)
    assert not _entries(holding, outcome=AccessEvent.Outcome.DENIED)


def test_a_citizen_named_twice_is_refused(agency, holding, mandate):
    response = legal_read(agency, mandate.pk, citizens=["BE:85073003328", "BE:85073003328"])
    assert_problem(response, 400)
    assert not _reads(holding)


def test_an_unknown_member_is_refused_by_name(agency, holding, mandate):
    response = legal_read(agency, mandate.pk, grant="x")
    problem = assert_problem(response, 400)
    assert "grant" in str(problem)


def test_a_citizen_cannot_read_under_law(holding, mandate):
    response = legal_read(holding, mandate.pk)
    assert_problem(response, 403)


def test_an_operator_sees_mandates_in_the_admin_and_ends_one_there(operator, mandate):
    page = operator.get("/admin/consent/mandate/")
    assert page.status_code == 200 and LAW_TITLE in page.content.decode()
    detail = operator.get(f"/admin/consent/mandate/{mandate.pk}/change/")
    assert detail.status_code == 200 and "test operator" in detail.content.decode()  # the audit trail
    response = operator.post(
        "/admin/consent/mandate/",
        {"action": "end_mandates", "_selected_action": [str(mandate.pk)]},
    )
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.ended_at is not None
    [ended] = MandateEvent.objects.filter(mandate=mandate, action=MandateEvent.Action.ENDED)
    assert ended.operator_label == "operator"
    assert operator.get("/admin/consent/mandate/add/").status_code == 403  # registered by command


def test_register_mandate_command(agency, capsys):
    from django.core.management import call_command

    call_command(
        "register_mandate",
        agency.organisation.slug,
        "--reference-url",
        LAW_URL,
        "--reference-title",
        LAW_TITLE,
        "--authorization-details",
        json.dumps([{"type": "credential", "credentialType": DIPLOMA, "claims": [AWARDED_ON]}]),
        "--purpose",
        LEGAL,
        "--until",
        "2099-01-01",
        "--delay-days",
        "7",
        "--operator",
        "j.peeters",
    )
    mandate = Mandate.objects.get()
    assert mandate.claims == {DIPLOMA: [AWARDED_ON]} and mandate.disclosure_delay_days == 7
    assert str(mandate.pk) in capsys.readouterr().out
    assert MandateEvent.objects.get(mandate=mandate).operator_label == "j.peeters"
    call_command("end_mandate", str(mandate.pk), "--reason", "Repealed")
    mandate.refresh_from_db()
    assert mandate.ended_at is not None and mandate.end_reason == "Repealed"
