"""consent.decisions.decide: pure, and the first rule that fails is the reason given.

The rules, in order: grantee, not revoked, begun, not expired, purpose, scope.
"""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Organisation
from consent.decisions import ALLOW, decide
from consent.models import Grant

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HR = "dpv:HumanResourceManagement"
RESEARCH = "dpv:ResearchAndDevelopment"

GRANTEE = Organisation(name="Acme Recruiting", slug="acme", kind=Organisation.Kind.EMPLOYER)
STRANGER = Organisation(name="Other Employer", slug="other", kind=Organisation.Kind.EMPLOYER)


def make_grant(**overrides) -> Grant:
    fields = {
        "grantee": GRANTEE,
        "status": Grant.Status.ACTIVE,
        "valid_from": NOW - timedelta(days=1),
        "valid_until": NOW + timedelta(days=1),
        "purpose": HR,
        "credential_types": ["DiplomaCredential"],
    }
    fields.update(overrides)
    return Grant(**fields)


def decide_for(
    grant: Grant, *, organisation=GRANTEE, purpose=HR, credential_type="DiplomaCredential", at=NOW
):
    return decide(grant, organisation=organisation, purpose=purpose, credential_type=credential_type, at=at)


def test_an_active_grant_allows_its_grantee_for_its_purpose_and_scope():
    assert decide_for(make_grant()) == ALLOW
    assert decide_for(make_grant()).allowed is True


def test_no_type_asked_means_every_type_the_grant_covers():
    assert decide_for(make_grant(), credential_type=None) == ALLOW


def test_another_organisation_is_not_the_grantee():
    decision = decide_for(make_grant(), organisation=STRANGER)
    assert (decision.allowed, decision.reason) == (False, "not-grantee")


def test_a_revoked_grant_denies():
    decision = decide_for(make_grant(status=Grant.Status.REVOKED, revoked_at=NOW - timedelta(hours=1)))
    assert (decision.allowed, decision.reason) == (False, "grant-revoked")


def test_a_grant_not_yet_begun_denies():
    decision = decide_for(make_grant(valid_from=NOW + timedelta(seconds=1)))
    assert (decision.allowed, decision.reason) == (False, "grant-not-yet-valid")


def test_a_grant_is_valid_from_its_first_instant():
    assert decide_for(make_grant(valid_from=NOW)) == ALLOW


def test_an_expired_grant_denies():
    decision = decide_for(make_grant(valid_until=NOW - timedelta(seconds=1)))
    assert (decision.allowed, decision.reason) == (False, "grant-expired")


def test_a_grant_has_expired_at_its_valid_until_instant():
    assert decide_for(make_grant(valid_until=NOW)).reason == "grant-expired"
    assert decide_for(make_grant(valid_until=NOW + timedelta(microseconds=1))) == ALLOW


def test_another_purpose_denies():
    decision = decide_for(make_grant(), purpose=RESEARCH)
    assert (decision.allowed, decision.reason) == (False, "purpose-mismatch")
    assert HR in decision.detail and RESEARCH in decision.detail


def test_a_type_outside_the_grant_denies():
    decision = decide_for(make_grant(), credential_type="IdentityCardCredential")
    assert (decision.allowed, decision.reason) == (False, "out-of-scope")


def test_a_narrowed_grant_covers_only_what_was_approved():
    grant = make_grant(credential_types=["DiplomaCredential"])
    assert decide_for(grant, credential_type="DiplomaCredential") == ALLOW
    assert decide_for(grant, credential_type="IdentityCardCredential").reason == "out-of-scope"


# Each step repairs one more rule of a grant and request that break them all, so each reason
# shows up exactly when every rule checked before it passes: the order is the contract.
ORDER = [
    "not-grantee",
    "grant-revoked",
    "grant-not-yet-valid",
    "grant-expired",
    "purpose-mismatch",
    "out-of-scope",
    "",
]


@pytest.mark.parametrize("repaired", range(len(ORDER)))
def test_rules_are_checked_in_order_and_the_first_failure_is_the_reason(repaired):
    grant = make_grant(
        status=Grant.Status.ACTIVE if repaired > 1 else Grant.Status.REVOKED,
        revoked_at=None if repaired > 1 else NOW,
        # Not begun and expired cannot both hold for one period: break "begun" first, then "expired".
        valid_from=NOW + timedelta(days=1) if repaired <= 2 else NOW - timedelta(days=2),
        valid_until=(NOW + timedelta(days=2)) if repaired <= 2 or repaired > 3 else NOW - timedelta(days=1),
    )
    decision = decide_for(
        grant,
        organisation=GRANTEE if repaired > 0 else STRANGER,
        purpose=HR if repaired > 4 else RESEARCH,
        credential_type="DiplomaCredential" if repaired > 5 else "IdentityCardCredential",
    )
    assert decision.reason == ORDER[repaired]
    assert decision.allowed is (ORDER[repaired] == "")


def test_every_denial_explains_itself():
    denials = [
        decide_for(make_grant(), organisation=STRANGER),
        decide_for(make_grant(status=Grant.Status.REVOKED)),
        decide_for(make_grant(valid_from=NOW + timedelta(days=1), valid_until=NOW + timedelta(days=2))),
        decide_for(make_grant(valid_until=NOW)),
        decide_for(make_grant(), purpose=RESEARCH),
        decide_for(make_grant(), credential_type="IdentityCardCredential"),
    ]
    assert all(not d.allowed and d.reason and d.detail for d in denials)
    assert len({d.reason for d in denials}) == len(denials)


def test_deciding_touches_no_database():
    # Unsaved organisations and grant: decide() reads only what it is handed.
    assert decide_for(make_grant()) == ALLOW
