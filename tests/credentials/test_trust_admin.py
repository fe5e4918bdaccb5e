"""The trust registry's admin records and ends accreditations through the services, under their rules."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command

from credentials.errors import AccreditationInvalid
from credentials.models import Accreditation
from credentials.services import accredit_issuer, amend_accreditation
from tests.conftest import make_organisation

ADD = "/admin/credentials/accreditation/add/"
START = datetime(2024, 9, 1, 8, 0, tzinfo=UTC)


def _moment(name: str, value: datetime | None) -> dict[str, str]:
    """The admin's split date-time widget: a date box and a time box."""
    if value is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    return {f"{name}_0": value.strftime("%Y-%m-%d"), f"{name}_1": value.strftime("%H:%M:%S")}


def _add_form(
    organisation, credential_type="DiplomaCredential", valid_from=START, valid_until=None, notes=""
):
    return {
        "organisation": str(organisation.pk),
        "credential_type": credential_type,
        **_moment("valid_from", valid_from),
        **_moment("valid_until", valid_until),
        "notes": notes,
    }


def _change_form(valid_until, notes="", **ignored):
    return {**_moment("valid_until", valid_until), "notes": notes, **ignored}


def _errors(response) -> list[str]:
    """Every error the re-rendered admin form shows, field errors and the form's own."""
    form = response.context["adminform"].form
    return [str(message) for messages in form.errors.values() for message in messages]


# Adding an accreditation.


def test_a_valid_accreditation_added_in_the_admin_is_what_the_service_records(
    operator, operator_user, issuer, other_issuer
):
    response = operator.post(
        ADD,
        _add_form(
            issuer, valid_until=START + timedelta(days=365), notes="Register of higher education, entry 17"
        ),
    )
    assert response.status_code == 302, _errors(response)
    from_admin = Accreditation.objects.get(organisation=issuer)
    from_service = accredit_issuer(
        organisation=other_issuer,
        credential_type="DiplomaCredential",
        valid_from=START,
        valid_until=START + timedelta(days=365),
        notes="Register of higher education, entry 17",
        registered_by=operator_user,
    )
    recorded = ("credential_type", "valid_from", "valid_until", "notes", "registered_by")
    assert {f: getattr(from_admin, f) for f in recorded} == {f: getattr(from_service, f) for f in recorded}
    assert from_admin.registered_by == operator_user
    assert LogEntry.objects.filter(object_id=str(from_admin.pk)).exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"credential_type": "VerifiableCredential"}, "Name the specific credential type"),
        ({"valid_until": START}, "The accreditation must end after it starts."),
        ({"valid_until": START - timedelta(days=1)}, "The accreditation must end after it starts."),
    ],
    ids=["the generic type", "ends as it starts", "ends before it starts"],
)
def test_the_admin_refuses_what_the_service_refuses_and_says_why(operator, issuer, change, reason):
    response = operator.post(ADD, _add_form(issuer, **change))
    assert response.status_code == 200  # the form comes back
    errors = _errors(response)
    assert any(reason in error for error in errors), errors
    assert len(errors) == 1, errors  # the service's reason, not also the database constraint's
    assert not Accreditation.objects.exists()


def test_the_admin_refuses_a_second_accreditation_with_the_same_start(operator, issuer):
    accredit_issuer(organisation=issuer, credential_type="DiplomaCredential", valid_from=START)
    response = operator.post(ADD, _add_form(issuer))
    assert response.status_code == 200
    errors = _errors(response)
    assert errors == [f"{issuer.name} is already accredited for DiplomaCredential from {START.isoformat()}."]
    assert Accreditation.objects.count() == 1


def test_the_admin_offers_and_accepts_only_issuers(operator, employer):
    form = operator.get(ADD).context["adminform"].form
    assert employer.organisation not in form.fields["organisation"].queryset
    response = operator.post(ADD, _add_form(employer.organisation))
    assert response.status_code == 200
    assert _errors(response)
    assert not Accreditation.objects.exists()


# Changing one: who, what and from when stay as recorded; it is ended (or its notes amended).


@pytest.fixture
def accreditation(issuer):
    return accredit_issuer(organisation=issuer, credential_type="DiplomaCredential", valid_from=START)


def _change(accreditation) -> str:
    return f"/admin/credentials/accreditation/{accreditation.pk}/change/"


def test_the_admin_ends_an_accreditation(operator, accreditation):
    end = START + timedelta(days=30)
    response = operator.post(_change(accreditation), _change_form(end, notes="Withdrawn by decree 2024/12"))
    assert response.status_code == 302, _errors(response)
    accreditation.refresh_from_db()
    assert accreditation.valid_until == end
    assert accreditation.notes == "Withdrawn by decree 2024/12"


def test_the_admin_refuses_an_end_before_the_start_and_says_why(operator, accreditation):
    response = operator.post(_change(accreditation), _change_form(START - timedelta(days=1)))
    assert response.status_code == 200
    assert _errors(response) == ["The accreditation must end after it starts."]
    accreditation.refresh_from_db()
    assert accreditation.valid_until is None


def test_the_admin_does_not_rewrite_who_was_accredited_for_what_from_when(
    operator, accreditation, other_issuer
):
    response = operator.post(
        _change(accreditation),
        _change_form(
            None,
            organisation=str(other_issuer.pk),
            credential_type="VerifiableCredential",
            **_moment("valid_from", START - timedelta(days=365)),
        ),
    )
    assert response.status_code == 302, _errors(response)
    recorded = Accreditation.objects.get(pk=accreditation.pk)
    assert (recorded.organisation, recorded.credential_type, recorded.valid_from) == (
        accreditation.organisation,
        "DiplomaCredential",
        START,
    )


def test_the_admin_never_deletes_an_accreditation(operator, accreditation):
    response = operator.post(f"/admin/credentials/accreditation/{accreditation.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Accreditation.objects.filter(pk=accreditation.pk).exists()


# The services the admin calls, as the accredit_issuer command meets them too.


def test_a_refusal_names_the_argument_it_refuses(db):
    employer = make_organisation("Acme Recruiting", "employer").organisation
    with pytest.raises(AccreditationInvalid) as refused:
        accredit_issuer(organisation=employer, credential_type="DiplomaCredential", valid_from=START)
    assert refused.value.extra == {"field": "organisation"}


def test_the_generic_type_is_refused_with_spaces_around_it(issuer):
    with pytest.raises(AccreditationInvalid, match="specific credential type"):
        accredit_issuer(organisation=issuer, credential_type=" VerifiableCredential ", valid_from=START)
    assert not Accreditation.objects.exists()


def test_the_command_refuses_the_same_accreditation_twice_with_the_reason(issuer):
    call_command("accredit_issuer", issuer.slug, "DiplomaCredential", "--from", "2024-09-01T08:00:00+00:00")
    with pytest.raises(CommandError, match="already accredited for DiplomaCredential from 2024-09-01"):
        call_command(
            "accredit_issuer", issuer.slug, "DiplomaCredential", "--from", "2024-09-01T08:00:00+00:00"
        )
    assert Accreditation.objects.count() == 1


def test_amending_keeps_who_what_and_from_when_and_refuses_an_end_before_the_start(accreditation):
    with pytest.raises(AccreditationInvalid, match="end after it starts"):
        amend_accreditation(accreditation=accreditation, valid_until=START, notes="")
    ended = amend_accreditation(
        accreditation=accreditation, valid_until=START + timedelta(days=1), notes="Withdrawn"
    )
    assert (ended.pk, ended.credential_type, ended.valid_from, ended.valid_until, ended.notes) == (
        accreditation.pk,
        "DiplomaCredential",
        START,
        START + timedelta(days=1),
        "Withdrawn",
    )
