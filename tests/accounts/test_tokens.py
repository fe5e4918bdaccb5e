"""API tokens and citizens' identifiers: what the database holds is useless to whoever steals it."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.errors import CitizenNotFound, InvalidNationalId
from accounts.identity import national_id_digest, normalise_national_id
from accounts.models import ApiToken, Organisation, User
from accounts.selectors import citizen_by_national_id
from accounts.services import LAST_USED_RESOLUTION, authenticate_token, issue_api_token, revoke_api_token
from tests.conftest import diploma
from tests.support import assert_problem
from vault.services import create_citizen

WHOAMI = "/api/v1/whoami"
NATIONAL_ID = "BE:85073003328"


def raw_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table name
        return cursor.fetchall()


def as_text(row: tuple) -> str:
    return " ".join(bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v) for v in row)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- tokens ------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_sha256_digest(employer):
    secret = employer.token.split("_", 2)[2]
    rows = raw_rows("accounts_apitoken")
    assert rows
    for row in rows:
        assert employer.token not in as_text(row)
        assert secret not in as_text(row)
    stored = ApiToken.objects.get(organisation=employer.organisation)
    assert stored.digest == hashlib.sha256(employer.token.encode()).hexdigest()
    assert employer.token.startswith(f"cvt_{stored.prefix}_")


def test_tokens_are_unique_and_carry_256_bits(db, employer):
    _, second = issue_api_token(organisation=employer.organisation)
    assert second != employer.token
    assert len(second.split("_", 2)[2]) >= 43  # token_urlsafe(32): 32 random bytes


def test_an_organisation_token_authenticates_as_the_organisation(employer):
    response = employer.get(WHOAMI)
    assert response.status_code == 200
    assert response.json() == {
        "kind": "organisation",
        "id": str(employer.organisation.pk),
        "name": "Acme Recruiting",
        "organisationKind": "employer",
    }


def test_a_citizen_token_authenticates_as_the_citizen(citizen):
    response = citizen.get(WHOAMI)
    assert response.json() == {"kind": "citizen", "id": str(citizen.user.pk), "name": "an@example.org"}


def test_revocation_takes_effect_on_the_very_next_request(employer):
    assert employer.get(WHOAMI).status_code == 200
    revoke_api_token(token=ApiToken.objects.get(organisation=employer.organisation))
    assert_problem(employer.get(WHOAMI), 401, "authentication-failed")


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_live_token_is_read_in_one_statement_as_the_orm_reads_it(employer, citizen):
    """The token's statement is written once per process (accounts.services): what it reads is
    the token with its holder as select_related() makes them, every field converted alike, the
    holder the token does not have None, and nothing more is queried to reach either."""
    for holder in (employer, citizen):
        authenticate_token(holder.token)  # records the use: the next one within the window only reads
        expected = ApiToken.objects.select_related("organisation", "user").get(
            prefix=holder.token.split("_")[1]
        )
        with CaptureQueriesContext(connection) as queries:
            row = authenticate_token(holder.token)
            organisation, user = row.organisation, row.user
        assert len(queries.captured_queries) == 1
        assert _fields(row) == _fields(expected)
        assert row._state.adding is False
        for made, orm in ((organisation, expected.organisation), (user, expected.user)):
            assert (made is None) == (orm is None)
            if made is not None:
                assert type(made) is type(orm)
                assert _fields(made) == _fields(orm)


def test_a_revoked_token_is_refused_by_the_statement_read_the_request_before(employer, citizen):
    """The statement is kept per process; no row is: revoking between two requests of the same
    process refuses the second, for an organisation's and a citizen's token alike."""
    for holder in (employer, citizen):
        assert holder.get(WHOAMI).status_code == 200
        revoke_api_token(token=ApiToken.objects.get(prefix=holder.token.split("_")[1]))
        assert_problem(holder.get(WHOAMI), 401, "authentication-failed")
        assert authenticate_token(holder.token) is None


def test_revoking_one_token_leaves_the_holders_other_tokens_working(employer, anonymous):
    _, spare = issue_api_token(organisation=employer.organisation, name="spare")
    revoke_api_token(token=ApiToken.objects.get(organisation=employer.organisation, name=""))
    assert employer.get(WHOAMI).status_code == 401
    assert anonymous.get(WHOAMI, **bearer(spare)).status_code == 200


def test_revoking_twice_keeps_the_first_revocation_time(employer):
    row = ApiToken.objects.get(organisation=employer.organisation)
    revoke_api_token(token=row)
    first = ApiToken.objects.get(pk=row.pk).revoked_at
    revoke_api_token(token=row)
    assert ApiToken.objects.get(pk=row.pk).revoked_at == first


def test_an_expired_token_is_refused(employer, anonymous):
    _, token = issue_api_token(organisation=employer.organisation, expires_at=timezone.now() - timedelta(1))
    assert_problem(anonymous.get(WHOAMI, **bearer(token)), 401, "authentication-failed")


def test_a_token_is_refused_from_the_moment_it_expires(employer):
    assert employer.get(WHOAMI).status_code == 200
    ApiToken.objects.filter(organisation=employer.organisation).update(expires_at=timezone.now())
    assert_problem(employer.get(WHOAMI), 401, "authentication-failed")


def test_a_token_that_expires_later_is_accepted(employer, anonymous):
    _, token = issue_api_token(organisation=employer.organisation, expires_at=timezone.now() + timedelta(1))
    assert anonymous.get(WHOAMI, **bearer(token)).status_code == 200


def test_a_token_of_an_inactive_organisation_is_refused(employer):
    Organisation.objects.filter(pk=employer.organisation.pk).update(is_active=False)
    assert_problem(employer.get(WHOAMI), 401, "authentication-failed")


def test_a_token_of_an_inactive_citizen_is_refused(citizen):
    User.objects.filter(pk=citizen.user.pk).update(is_active=False)
    assert_problem(citizen.get(WHOAMI), 401, "authentication-failed")


def test_a_token_with_another_tokens_prefix_is_refused(employer, other_employer):
    _, prefix, _ = employer.token.split("_", 2)
    _, _, secret = other_employer.token.split("_", 2)
    assert authenticate_token(f"cvt_{prefix}_{secret}") is None


@pytest.mark.parametrize(
    "token",
    ["", "cvt", "cvt_", "cvt__", "xyz_abc_def", "cvt_abc", "cvt_\x00bcdef012345_x", "cvt_ABCDEF012345_x"],
)
def test_malformed_tokens_authenticate_nobody(db, token):
    assert authenticate_token(token) is None


def test_use_is_recorded_at_most_once_per_resolution_window(employer):
    row = ApiToken.objects.get(organisation=employer.organisation)
    assert row.last_used_at is None
    employer.get(WHOAMI)
    first = ApiToken.objects.get(pk=row.pk).last_used_at
    assert first is not None
    employer.get(WHOAMI)
    assert ApiToken.objects.get(pk=row.pk).last_used_at == first
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - LAST_USED_RESOLUTION - timedelta(1))
    employer.get(WHOAMI)
    assert ApiToken.objects.get(pk=row.pk).last_used_at > first


def test_a_token_belongs_to_exactly_one_holder(employer, citizen):
    with pytest.raises(ValueError, match="exactly one"):
        issue_api_token(organisation=employer.organisation, user=citizen.user)
    with pytest.raises(ValueError, match="exactly one"):
        issue_api_token()


# --- national identifiers ----------------------------------------------------------------------


def test_the_national_id_is_never_stored_in_clear(citizen):
    forms = [NATIONAL_ID, "85073003328", "85.07.30-033.28", "850730"]
    for row in raw_rows("accounts_user"):
        text = as_text(row)
        for form in forms:
            assert form not in text


def test_the_national_id_is_kept_as_an_hmac_under_the_lookup_key(citizen, settings):
    expected = hmac.new(settings.LOOKUP_HASH_KEY.encode(), NATIONAL_ID.encode(), hashlib.sha256).hexdigest()
    assert User.objects.get(pk=citizen.user.pk).national_id_digest == expected
    assert expected != hashlib.sha256(NATIONAL_ID.encode()).hexdigest()  # keyed, not a bare hash


def test_the_digest_changes_with_the_lookup_key(settings):
    before = national_id_digest(NATIONAL_ID)
    settings.LOOKUP_HASH_KEY_RING = {"1": "another lookup key, at least 32 characters"}
    assert national_id_digest(NATIONAL_ID) != before


@pytest.mark.parametrize(
    "written",
    [
        "BE:85073003328",
        "be:85073003328",
        " BE:85073003328 ",
        "BE:85.07.30-033.28",
        "BE:850730 033 28",
        "BE:85/07/30/033/28",
        "Be:85.07.30-033.28",
    ],
)
def test_national_ids_are_normalised_before_hashing(written):
    assert normalise_national_id(written) == NATIONAL_ID
    assert national_id_digest(written) == national_id_digest(NATIONAL_ID)


def test_letters_in_the_number_are_upper_cased():
    assert normalise_national_id("nl:ab1234cd") == "NL:AB1234CD"


def test_different_countries_with_the_same_number_are_different_people():
    assert national_id_digest("BE:85073003328") != national_id_digest("NL:85073003328")


@pytest.mark.parametrize(
    "invalid",
    [
        "85073003328",  # no country
        ":85073003328",
        "B:85073003328",
        "BEL:85073003328",
        "12:85073003328",
        "BE:123",  # too short
        "BE:" + "1" * 33,  # too long
        "BE:8507300332!",
        "BE:85073003328:1",
        "BE:",
        "",
        None,
        85073003328,
    ],
)
def test_malformed_national_ids_are_refused(invalid):
    with pytest.raises(InvalidNationalId):
        normalise_national_id(invalid)


def test_a_citizen_is_found_by_any_written_form_of_their_id(citizen):
    assert citizen_by_national_id("be:85.07.30-033.28") == citizen.user


def test_the_same_person_cannot_register_twice_under_another_written_form(citizen):
    with pytest.raises(ValidationError):
        create_citizen(email="an.other@example.org", national_id="BE:85.07.30-033.28")
    assert User.objects.filter(national_id_digest__isnull=False).count() == 1


def test_an_invalid_national_id_is_a_422_on_issuance(university, citizen):
    response = university.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": "85073003328"}, "credential": diploma()}
    )
    problem = assert_problem(response, 422, "invalid-national-id")
    assert "COUNTRY:NUMBER" in problem["detail"]


def test_an_invalid_national_id_is_a_422_on_an_access_request(employer, citizen):
    response = employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": "BE:12"},
            "credentialTypes": ["DiplomaCredential"],
            "purpose": "dpv:HumanResourceManagement",
            "purposeDescription": "Checking the degree.",
            "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
        },
    )
    assert_problem(response, 422, "invalid-national-id")


def test_a_well_formed_but_unknown_national_id_is_a_404(university, citizen):
    response = university.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": "BE:99999999964"}, "credential": diploma()}
    )
    assert_problem(response, 404, "citizen-not-found")


def test_an_inactive_citizen_cannot_be_found(citizen):
    User.objects.filter(pk=citizen.user.pk).update(is_active=False)
    with pytest.raises(CitizenNotFound):
        citizen_by_national_id(NATIONAL_ID)
