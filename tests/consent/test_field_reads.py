"""Reads under field-scoped grants: the vault derives each credential from its ecdsa-sd-2023 base
proof and releases only the fields allowed; every attempt at more is denied and logged.

The attacks of issue 16 (one test each, run on PostgreSQL too): a field outside the grant by
pointer, by another spelling of the same claim and through a nested object; a narrowed grant
used for the wider request; the withheld values absent from the whole response body."""

import json

import pytest

from consent.models import Grant
from tests.credentials.conftest import accredit
from tests.support import assert_problem
from vault.models import AccessEvent, PodCredential
from vault.selectors import verify_access_log
from vc.dataintegrity import verify_proof, verify_proofs

from .conftest import CHALLENGE, DIPLOMA, DOMAIN, approve, presented, read_url, request_body
from .fields import (
    AWARDED_ON,
    DEGREE_NAME,
    GRADE,
    SHARED,
    WITHHELD,
    as_issued_before_proof_sets,
    details,
    distinctive_diploma,
)


@pytest.fixture
def issued_diploma(university, citizen):
    """The citizen's diploma as the issuer signed it, and its pod row."""
    response = university.post(
        "/api/v1/issuer/credentials",
        {"recipient": {"nationalId": "BE:85073003328"}, "credential": distinctive_diploma()},
    )
    assert response.status_code == 201, response.json()
    return PodCredential.objects.get(pod=citizen.pod), response.json()["credential"]


@pytest.fixture
def stored(issued_diploma):
    """The diploma as credentials issued before proof sets are held: eddsa-rdfc-2022 alone."""
    resource, signed = issued_diploma
    return resource, as_issued_before_proof_sets(resource, signed)


@pytest.fixture
def sd_diploma(issued_diploma):
    """The diploma as issued: a proof set of the issuer's eddsa-rdfc-2022 proof and its
    ecdsa-sd-2023 base proof."""
    _, signed = issued_diploma
    eddsa, base = signed["proof"]
    assert (eddsa["cryptosuite"], base["cryptosuite"]) == ("eddsa-rdfc-2022", "ecdsa-sd-2023")
    return {"document": signed, "baseProofValue": base["proofValue"], "eddsa": eddsa}


def _grant(employer, citizen, asked, approved=None) -> dict:
    body = request_body(authorizationDetails=asked)
    del body["credentialTypes"]
    response = employer.post("/api/v1/access-requests", body)
    assert response.status_code == 201, response.json()
    if approved is None:
        return approve(citizen, response.json()["id"])
    return approve(citizen, response.json()["id"], authorizationDetails=approved)


@pytest.fixture
def field_grant(employer, citizen) -> dict:
    """The employer asked for the degree's name and date; the citizen approved as asked."""
    return _grant(employer, citizen, details(claims=[DEGREE_NAME, AWARDED_ON]))


def _claims_url(grant_id: str, *claims: str) -> str:
    from urllib.parse import quote

    return read_url(grant_id, credential_type=DIPLOMA) + "".join(
        f"&claim={quote(c, safe='')}" for c in claims
    )


def _assert_withheld(response, *, also: tuple[str, ...] = ()) -> None:
    """None of the withheld values, nor the holder's HMAC key (in the base proof), is anywhere in the body."""
    body = response.content.decode()
    for value in [*WITHHELD.values(), *also]:
        assert value not in body


def _denials(citizen) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(pod=citizen.pod, outcome=AccessEvent.Outcome.DENIED))


# --- what a field read releases ----------------------------------------------------------------


def test_a_field_read_releases_the_derived_credential_only(employer, citizen, sd_diploma, field_grant):
    response = employer.get(read_url(field_grant["id"]))
    [credential] = presented(response)
    subject = credential["credentialSubject"]
    assert subject["degree"]["name"] == SHARED[DEGREE_NAME]
    assert subject["awardedOn"] == SHARED[AWARDED_ON]
    assert subject["id"] == citizen.pod.holder_did  # mandatory: whom it is about
    assert {"givenName", "familyName", "grade", "fieldOfStudy"}.isdisjoint(subject)
    assert credential["issuer"] == sd_diploma["document"]["issuer"]  # mandatory: who issued it
    assert credential["credentialStatus"] == sd_diploma["document"]["credentialStatus"]
    # Signed by the issuer's key, statement by statement: it verifies without what was withheld.
    verified = verify_proof(credential)
    assert verified.cryptosuite == "ecdsa-sd-2023"
    assert credential["proof"]["proofValue"] != sd_diploma["baseProofValue"]
    # The holder's proof on the presentation (its credentials' claims are checked by the VC API's
    # verification of derived credentials, below and in the VC API tests).
    presentation = response.json()["verifiablePresentation"]
    [holder_proof] = verify_proofs(
        presentation, expected_purpose="authentication", challenge=CHALLENGE, domain=DOMAIN
    )
    assert holder_proof.controller == citizen.pod.holder_did
    _assert_withheld(response, also=(sd_diploma["baseProofValue"], sd_diploma["eddsa"]["proofValue"]))


def test_a_field_read_logs_the_fields_it_released_not_their_values(
    employer, citizen, sd_diploma, field_grant
):
    employer.get(read_url(field_grant["id"]))
    read = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ).get()
    assert read.fields == [AWARDED_ON, DEGREE_NAME]
    log = citizen.get("/api/v1/pod/log")
    assert log.json()["results"][0]["fields"] == [AWARDED_ON, DEGREE_NAME]
    assert SHARED[DEGREE_NAME] not in log.content.decode()
    assert verify_access_log(citizen.pod).valid


def test_a_whole_read_releases_the_issuers_proof_but_never_the_base_proof(employer, citizen, sd_diploma):
    grant = _grant(employer, citizen, details())
    response = employer.get(read_url(grant["id"]))
    [credential] = presented(response)
    assert credential["credentialSubject"]["grade"] == WITHHELD[GRADE]  # whole, as granted
    assert credential["proof"] == sd_diploma["eddsa"]
    assert [proof.cryptosuite for proof in verify_proofs(credential)] == ["eddsa-rdfc-2022"]
    assert sd_diploma["baseProofValue"] not in response.content.decode()
    read = AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ).get()
    assert read.fields == []


def test_the_requester_may_read_fewer_claims_than_granted(employer, citizen, sd_diploma, field_grant):
    response = employer.get(_claims_url(field_grant["id"], AWARDED_ON))
    [credential] = presented(response)
    assert credential["credentialSubject"]["awardedOn"] == SHARED[AWARDED_ON]
    # The claim's type is mandatory (the issuer's base proof says so); the degree's name is withheld.
    assert credential["credentialSubject"]["degree"] == {"type": "MasterDegree"}
    verify_proof(credential)
    _assert_withheld(response, also=(SHARED[DEGREE_NAME],))


def test_a_claim_the_credential_lacks_releases_nothing(employer, citizen, university, sd_diploma):
    grant = _grant(employer, citizen, details(claims=["/credentialSubject/qualificationLevel"]))
    [credential] = presented(employer.get(read_url(grant["id"])))
    assert "qualificationLevel" not in credential["credentialSubject"]
    verify_proof(credential)


def test_a_credential_issued_without_a_base_proof_is_refused_to_a_field_read(
    employer, citizen, stored, field_grant
):
    response = employer.get(read_url(field_grant["id"]))
    body = assert_problem(response, 403, "fields-not-disclosable")
    assert "can only be shared whole" in body["detail"]
    _assert_withheld(response, also=tuple(SHARED.values()))
    [denial] = _denials(citizen)
    assert denial.reason == "fields-not-disclosable"
    assert not AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ).exists()


def test_a_credential_issued_without_a_base_proof_is_still_shared_whole(employer, citizen, stored):
    grant = _grant(employer, citizen, details())
    [credential] = presented(employer.get(read_url(grant["id"])))
    assert credential == stored[1]


# --- the attacks ---------------------------------------------------------------------------------


def _assert_denied_and_logged(response, citizen, asked: list[str]) -> None:
    assert_problem(response, 403, "field-out-of-scope")
    _assert_withheld(response, also=tuple(SHARED.values()))
    [denial] = _denials(citizen)
    assert denial.reason == "field-out-of-scope"
    assert denial.credential_type == DIPLOMA
    assert denial.fields == sorted(asked)
    assert not AccessEvent.objects.filter(pod=citizen.pod, action=AccessEvent.Action.CREDENTIAL_READ).exists()


def test_attack_a_field_outside_the_grant_by_pointer(employer, citizen, sd_diploma, field_grant):
    response = employer.get(_claims_url(field_grant["id"], DEGREE_NAME, GRADE))
    _assert_denied_and_logged(response, citizen, [DEGREE_NAME, GRADE])


@pytest.mark.parametrize(
    "spelling",
    [
        "/credentialSubject/degree~1name",  # "~1" is "/" escaped: another key, not the same claim
        "/credentialSubject/awardedOn/",  # a trailing slash
        "/credentialSubject//awardedOn",
        "/credentialSubject/awardedOn#",
        "credentialSubject/awardedOn",  # relative
        "/credentialSubject/givenName",  # a claim the grant does not hold
    ],
)
def test_attack_a_field_by_another_spelling_of_a_claim(employer, citizen, sd_diploma, field_grant, spelling):
    response = employer.get(_claims_url(field_grant["id"], spelling))
    _assert_denied_and_logged(response, citizen, [spelling])


@pytest.mark.parametrize("nested", ["/credentialSubject/degree", "/credentialSubject", ""])
def test_attack_a_field_through_a_nested_object(employer, citizen, sd_diploma, field_grant, nested):
    """The object holding a granted claim holds others (the degree's type; the whole subject)."""
    response = employer.get(_claims_url(field_grant["id"], nested))
    if nested == "":  # an empty pointer names the whole document: refused before the grant is read
        assert_problem(response, 400, "validation-error")
        assert not _denials(citizen)
        return
    _assert_denied_and_logged(response, citizen, [nested])


def test_attack_a_narrowed_grant_used_for_the_wider_request(employer, citizen, sd_diploma):
    """Asked for the degree's name and date; the citizen gave the name only."""
    grant = _grant(
        employer, citizen, details(claims=[DEGREE_NAME, AWARDED_ON]), approved=details(claims=[DEGREE_NAME])
    )
    assert Grant.objects.get(pk=grant["id"]).claims == {DIPLOMA: [DEGREE_NAME]}
    response = employer.get(_claims_url(grant["id"], DEGREE_NAME, AWARDED_ON))
    _assert_denied_and_logged(response, citizen, [AWARDED_ON, DEGREE_NAME])
    # And a read that names nothing gets what the grant allows, not what was asked.
    response = employer.get(read_url(grant["id"]))
    [credential] = presented(response)
    assert credential["credentialSubject"]["degree"]["name"] == SHARED[DEGREE_NAME]
    assert "awardedOn" not in credential["credentialSubject"]
    _assert_withheld(response, also=(SHARED[AWARDED_ON],))


def test_claims_without_a_type_are_a_400_that_reads_and_logs_nothing(
    employer, citizen, sd_diploma, field_grant
):
    before = AccessEvent.objects.filter(pod=citizen.pod).count()
    response = employer.get(read_url(field_grant["id"]) + "&claim=%2FcredentialSubject%2FawardedOn")
    assert_problem(response, 400, "validation-error")
    assert AccessEvent.objects.filter(pod=citizen.pod).count() == before


def test_a_field_read_presentation_holds_json_only_of_the_disclosed(
    employer, citizen, sd_diploma, field_grant
):
    """The body as the requester receives it: parse it, and no withheld value hides in any string."""
    response = employer.get(read_url(field_grant["id"]))
    strings: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                strings.append(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            strings.append(node)

    walk(json.loads(response.content))
    for value in WITHHELD.values():
        assert not any(value in string for string in strings)


def test_attack_the_derived_credential_verifies_with_the_issuers_key_and_shows_nothing_withheld(
    anonymous, employer, citizen, university, sd_diploma, field_grant
):
    """The employer checks, through the VC API, the university's signature on exactly what it
    received; neither the read nor either verification holds a withheld value or the base proof."""
    accredit(university.organisation)
    read = employer.get(read_url(field_grant["id"]))
    [credential] = presented(read)
    never = (sd_diploma["baseProofValue"], sd_diploma["eddsa"]["proofValue"])
    _assert_withheld(read, also=never)

    verified = anonymous.post("/credentials/verify", {"verifiableCredential": credential}, format="json")
    assert verified.status_code == 200, verified.json()
    assert verified.json()["verified"] is True
    assert verified.json()["checks"] == ["proof", "issuer_trusted", "validity", "status"]
    _assert_withheld(verified, also=never)

    presentation = read.json()["verifiablePresentation"]
    options = {"challenge": CHALLENGE, "domain": DOMAIN}
    verified = anonymous.post(
        "/presentations/verify", {"verifiablePresentation": presentation, "options": options}, format="json"
    )
    assert verified.status_code == 200, verified.json()
    assert verified.json()["verified"] is True
    assert [result["verified"] for result in verified.json()["credentialResults"]] == [True]
    _assert_withheld(verified, also=never)


def test_attack_a_derived_credential_with_a_withheld_claim_put_back_is_refused(
    anonymous, employer, citizen, university, sd_diploma, field_grant
):
    accredit(university.organisation)
    [credential] = presented(employer.get(read_url(field_grant["id"])))
    credential["credentialSubject"]["grade"] = WITHHELD[GRADE]  # true, but not what was disclosed
    verified = anonymous.post("/credentials/verify", {"verifiableCredential": credential}, format="json")
    assert verified.status_code == 422
    assert verified.json()["verified"] is False
