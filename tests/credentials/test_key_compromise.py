"""A compromised issuer key stops being trusted; a retired one only for what its issuer can revoke.

The security review showed that after a rotation the retired key could still sign new diplomas
that passed every check (a proof's ``created`` is whatever the signer writes). Here: a key
reported compromised is trusted for nothing, old diplomas included; a retired key only for
credentials carrying a status entry we allocated; hosted did:web documents drop compromised keys.
Everything resolves from the database (DID_WEB_NETWORK off, network fetches refused).
"""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation
from credentials.errors import IssuerNotTrusted, KeyCompromiseInvalid
from credentials.keys import unseal_private_key
from credentials.models import IssuerKey, StatusEntry, StatusList
from credentials.selectors import active_issuer_key, is_accredited, issuer_key_of
from credentials.services import (
    create_issuer_key,
    host_issuer_did,
    issue_credential,
    mark_key_compromised,
    register_external_did,
)
from credentials.statuslist import published_status_list, status_list_url
from credentials.verification import Outcome, verify_credential
from tests.conftest import diploma
from tests.credentials.conftest import HOLDER, sign
from vc.dataintegrity import add_proof
from vc.errors import UnresolvableKey
from vc.multikey import did_key_for

HOST = "vault.example.be"
DID = f"did:web:{HOST}:issuers:ghent-demo-university"
DOCUMENT_PATH = "/issuers/ghent-demo-university/did.json"
DIPLOMA = ["VerifiableCredential", "DiplomaCredential"]
COMPROMISED = "signed with a key its issuer reported compromised on"
UNREVOCABLE = "signed with a retired key and carries no status the issuer can change"
NOTE = "Private key found in a public repository; reported by the university's CISO."


@pytest.fixture(autouse=True)
def no_network(monkeypatch, settings):
    def refuse(url, **kwargs):
        raise AssertionError(f"tried to fetch {url} over the network")

    settings.DID_WEB_NETWORK = False
    monkeypatch.setattr("credentials.didweb.fetch_json", refuse)
    monkeypatch.setattr("credentials.remote.fetch_json", refuse)


@pytest.fixture
def hosted(accredited, settings) -> Organisation:
    settings.ISSUER_DID_WEB_HOST = HOST
    host_issuer_did(organisation=accredited)
    return accredited


def forge(key: IssuerKey, *, issuer: str | None = None, created: str | None = None, **extra) -> dict:
    """A diploma for Mallory signed with ``key`` by someone holding its private half."""
    credential = {**diploma(), **extra, "issuer": issuer or key.did}
    credential["credentialSubject"] = {**credential["credentialSubject"], "id": "did:example:mallory"}
    method = f"{issuer}#{key.public_key_multibase}" if issuer else key.verification_method
    return add_proof(
        credential, private_key=unseal_private_key(key), verification_method=method, created=created
    )


def trust_detail(result) -> str:
    assert result.issuer_trusted.outcome == Outcome.FAILED
    assert isinstance(result.issuer_trusted.error, IssuerNotTrusted)
    return result.issuer_trusted.detail


# The reviewer's scenario, and forgeries with a compromised key.


def test_the_reviewers_forgery_with_a_rotated_out_key_is_not_trusted(accredited):
    old = active_issuer_key(accredited)
    create_issuer_key(organisation=accredited)
    result = verify_credential(forge(old))
    assert result.proof.passed
    assert not result.verified
    assert UNREVOCABLE in trust_detail(result)
    assert old.verification_method in result.issuer_trusted.detail


def test_a_compromised_key_is_not_trusted_whatever_date_its_proof_gives(accredited):
    key = active_issuer_key(accredited)
    mark_key_compromised(key=key, note=NOTE)
    key.refresh_from_db()
    backdated = forge(key, created="2020-01-01T00:00:00Z")
    result = verify_credential(backdated)
    assert result.proof.passed
    detail = trust_detail(result)
    assert COMPROMISED in detail
    assert key.compromised_at.isoformat() in detail


def test_a_diploma_signed_before_the_compromise_is_untrusted_after_it(accredited):
    signed = sign(accredited)
    assert verify_credential(signed).verified
    mark_key_compromised(key=active_issuer_key(accredited), note=NOTE)
    result = verify_credential(signed)
    assert not result.verified
    assert COMPROMISED in trust_detail(result)


def test_the_registry_itself_refuses_a_compromised_did_key(accredited):
    key = active_issuer_key(accredited)
    assert is_accredited(key.did, DIPLOMA, timezone.now()).trusted
    mark_key_compromised(key=key, note=NOTE)
    result = is_accredited(key.did, DIPLOMA, timezone.now())
    assert not result.trusted
    assert COMPROMISED in result.reason


# Marking a key compromised.


def test_marking_the_active_key_rotates_so_the_issuer_keeps_issuing(accredited):
    old = active_issuer_key(accredited)
    marked = mark_key_compromised(key=old, note=NOTE)
    assert marked.pk == old.pk
    assert marked.compromised_at is not None and marked.retired_at is not None
    assert marked.compromise_note == NOTE
    new = active_issuer_key(accredited)
    assert new.pk != old.pk and new.compromised_at is None
    fresh = sign(accredited)
    assert fresh["proof"]["verificationMethod"] == new.verification_method
    assert verify_credential(fresh).verified


def test_marking_a_retired_key_does_not_rotate_the_active_one(accredited):
    old = active_issuer_key(accredited)
    current = create_issuer_key(organisation=accredited)
    mark_key_compromised(key=old, note=NOTE)
    assert active_issuer_key(accredited) == current
    # Two key sets (Ed25519 and P-256 each): the first, retired by the rotation, and the current one.
    assert IssuerKey.objects.filter(organisation=accredited).count() == 4


def test_marking_twice_keeps_the_first_report(accredited):
    key = active_issuer_key(accredited)
    first = mark_key_compromised(key=key, note=NOTE, at=key.created_at)
    again = mark_key_compromised(key=key, note="a second report")
    assert (again.compromised_at, again.compromise_note) == (first.compromised_at, NOTE)
    assert IssuerKey.objects.filter(organisation=accredited).count() == 4  # rotated once: two sets of two


@pytest.mark.parametrize(
    ("note", "at", "message"),
    [
        ("  ", None, "note"),
        (NOTE, timezone.now() + timedelta(days=1), "in the future"),
        (NOTE, timezone.now() - timedelta(days=3650), "before the key was created"),
        (NOTE, timezone.now().replace(tzinfo=None), "time zone"),
    ],
)
def test_an_unusable_report_is_refused_and_changes_nothing(accredited, note, at, message):
    key = active_issuer_key(accredited)
    with pytest.raises(KeyCompromiseInvalid, match=message):
        mark_key_compromised(key=key, note=note, at=at)
    key.refresh_from_db()
    assert key.compromised_at is None and key.retired_at is None
    assert active_issuer_key(accredited) == key


def test_a_key_of_an_organisation_no_longer_issuing_is_retired_without_a_new_one(accredited):
    key = active_issuer_key(accredited)
    Organisation.objects.filter(pk=accredited.pk).update(kind=Organisation.Kind.EMPLOYER)
    key.refresh_from_db()
    p256 = active_issuer_key(accredited, key_type=IssuerKey.KeyType.P256)
    marked = mark_key_compromised(key=key, note=NOTE)
    assert marked.retired_at is not None and marked.compromised_at is not None
    # No new key: the marked one and its P-256 companion, which was not reported, are all there is.
    assert set(IssuerKey.objects.filter(organisation=accredited)) == {marked, p256}


def test_the_database_refuses_a_compromised_key_still_in_use(accredited):
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuerKey.objects.filter(organisation=accredited).update(compromised_at=timezone.now())


def test_a_verification_method_names_its_issuer_key(hosted, other_issuer):
    key = active_issuer_key(hosted)
    assert issuer_key_of(key.did) == key
    assert issuer_key_of(key.verification_method) == key
    assert issuer_key_of(f"{DID}#{key.public_key_multibase}") == key
    assert issuer_key_of(f"{key.did}#z6MkSomethingElse") is None
    assert issuer_key_of(DID) is None  # a did:web names its keys by fragment
    foreign = active_issuer_key(other_issuer)
    assert issuer_key_of(f"{DID}#{foreign.public_key_multibase}") is None


# Hosted did:web: the document drops compromised keys and keeps retired, sound ones.


def test_the_hosted_document_omits_a_compromised_key_and_keeps_the_retired_sound_one(hosted):
    first = _active_keys(hosted)
    second = create_issuer_key(organisation=hosted)  # the first set is retired, sound
    second_p256 = active_issuer_key(hosted, key_type=IssuerKey.KeyType.P256)
    mark_key_compromised(key=second, note=NOTE)  # rotates the second set: its P-256 key is retired, sound
    third = _active_keys(hosted)
    document = Client().get(DOCUMENT_PATH).json()
    listed = [f"{DID}#{key.public_key_multibase}" for key in [*first, second_p256, *third]]
    assert [method["id"] for method in document["verificationMethod"]] == listed
    assert document["assertionMethod"] == listed
    assert second.public_key_multibase not in str(document)


def _active_keys(organisation):
    return list(
        IssuerKey.objects.filter(organisation=organisation, retired_at__isnull=True).order_by("key_type")
    )


def test_a_hosted_diploma_signed_with_a_compromised_key_fails_with_the_reason(hosted):
    signed = sign(hosted)
    assert signed["issuer"] == DID and verify_credential(signed).verified
    mark_key_compromised(key=active_issuer_key(hosted), note=NOTE)
    result = verify_credential(signed)
    assert result.proof.outcome == Outcome.FAILED
    assert isinstance(result.proof.error, UnresolvableKey)
    assert COMPROMISED in result.proof.detail
    assert verify_credential(sign(hosted)).verified  # the new key signs as the same DID


def test_a_hosted_diploma_of_a_retired_sound_key_keeps_verifying(hosted):
    before = sign(hosted)
    create_issuer_key(organisation=hosted)
    assert verify_credential(before).verified


def test_a_hosted_status_list_is_re_signed_with_the_new_key(hosted):
    signed = sign(hosted)
    list_id = StatusEntry.objects.filter(credential_id=signed["id"]).first().status_list_id
    old = active_issuer_key(hosted)
    cached = published_status_list(list_id)  # a signed copy now sits in the cache
    assert cached["proof"]["verificationMethod"] == f"{DID}#{old.public_key_multibase}"
    mark_key_compromised(key=old, note=NOTE)
    new = active_issuer_key(hosted)
    served = Client().get(f"/status-lists/{list_id}").json()
    assert served["issuer"] == DID
    assert served["proof"]["verificationMethod"] == f"{DID}#{new.public_key_multibase}"


# Retired, sound keys: trusted only for what the issuer can still revoke.


def test_a_retired_key_diploma_with_our_status_entries_stays_trusted(accredited):
    signed = sign(accredited)
    create_issuer_key(organisation=accredited)
    result = verify_credential(signed)
    assert result.verified, result.as_dict()


def test_a_retired_key_credential_without_status_is_no_longer_trusted(accredited):
    unrevocable, _ = issue_credential(
        organisation=accredited,
        with_status=False,
        allow_vcdm_1_1=True,
        credential={
            **diploma(),
            "id": "urn:uuid:" + str(uuid.uuid4()),
            "issuer": active_issuer_key(accredited).did,
        },
    )
    assert "credentialStatus" not in unrevocable
    assert verify_credential(unrevocable).verified  # the active key's word still counts
    create_issuer_key(organisation=accredited)
    result = verify_credential(unrevocable)
    assert not result.verified
    assert UNREVOCABLE in trust_detail(result)


def test_a_retired_key_forgery_pointing_at_an_unallocated_index_of_our_list_is_not_trusted(accredited):
    signed = sign(accredited)
    old = active_issuer_key(accredited)
    create_issuer_key(organisation=accredited)
    status_list = StatusList.objects.get(status_purpose="revocation")
    taken = set(StatusEntry.objects.filter(status_list=status_list).values_list("index", flat=True))
    free = next(index for index in range(status_list.size) if index not in taken)
    url = status_list_url(status_list.id)
    entry = {
        "id": f"{url}#{free}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(free),
        "statusListCredential": url,
    }
    result = verify_credential(forge(old, credentialStatus=entry))
    assert result.status.passed  # the bit is clear: only the allocation tells it apart
    assert UNREVOCABLE in trust_detail(result)
    assert verify_credential(signed).verified


def test_an_external_issuers_key_is_judged_by_the_registry_alone(accredited):
    private_key = Ed25519PrivateKey.generate()
    external = did_key_for(private_key.public_key())
    register_external_did(organisation=accredited, did=external.did, notes="their own HSM")
    credential = {**diploma(id=HOLDER), "issuer": external.did}
    signed = add_proof(
        credential, private_key=private_key, verification_method=f"{external.did}#{external.multikey}"
    )
    assert "credentialStatus" not in signed
    assert verify_credential(signed).verified


# The operator's tools: the admin and the command (the operator: tests/credentials/conftest.py).

CLERK_PASSWORD = "clerk password 123"


def test_the_admin_action_asks_for_confirmation_then_marks_and_rotates(operator, accredited):
    key = active_issuer_key(accredited)
    changelist = "/admin/credentials/issuerkey/"
    assert "Mark as compromised" in operator.get(changelist).content.decode()
    page = operator.post(changelist, {"action": "mark_compromised", "_selected_action": [key.pk]})
    assert page.status_code == 200
    assert "This cannot be undone" in page.content.decode()
    assert key.did in page.content.decode()
    key.refresh_from_db()
    assert key.compromised_at is None  # nothing happens before the confirmation

    without_note = operator.post(
        changelist, {"action": "mark_compromised", "_selected_action": [key.pk], "confirm": "yes"}
    )
    assert without_note.status_code == 200 and "This field is required" in without_note.content.decode()
    key.refresh_from_db()
    assert key.compromised_at is None

    done = operator.post(
        changelist,
        {"action": "mark_compromised", "_selected_action": [key.pk], "confirm": "yes", "note": NOTE},
        follow=True,
    )
    assert done.status_code == 200
    key.refresh_from_db()
    assert key.compromised_at is not None
    assert NOTE in key.compromise_note and "operator" in key.compromise_note
    assert active_issuer_key(accredited) != key
    assert any("marked compromised" in str(m) for m in done.context["messages"])


def test_the_organisation_page_shows_key_state_and_links_to_the_confirmation(operator, accredited):
    key = active_issuer_key(accredited)
    organisation_page = f"/admin/accounts/organisation/{accredited.pk}/change/"
    link = f"/admin/credentials/issuerkey/{key.pk}/compromised/"
    assert link in operator.get(organisation_page).content.decode()
    assert link in operator.get(f"/admin/credentials/issuerkey/{key.pk}/change/").content.decode()

    confirmation = operator.get(link)
    assert confirmation.status_code == 200 and "This cannot be undone" in confirmation.content.decode()
    response = operator.post(link, {"confirm": "yes", "note": NOTE})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/credentials/issuerkey/{key.pk}/change/"
    key.refresh_from_db()
    assert key.compromised_at is not None

    for page_url in (organisation_page, f"/admin/credentials/issuerkey/{key.pk}/change/"):
        page = operator.get(page_url).content.decode()
        assert link not in page
        assert f"reported {key.compromised_at.isoformat()}" in page
        assert "private key found in a public repository" in page.lower()


def test_only_operators_reach_the_confirmation(accredited, django_user_model):
    key = active_issuer_key(accredited)
    link = f"/admin/credentials/issuerkey/{key.pk}/compromised/"
    assert Client().post(link, {"confirm": "yes", "note": NOTE}).status_code == 302  # to the login
    django_user_model.objects.create_user("clerk", password=CLERK_PASSWORD, is_staff=True)
    clerk = Client()
    assert clerk.login(username="clerk", password=CLERK_PASSWORD)
    assert clerk.post(link, {"confirm": "yes", "note": NOTE}).status_code == 403
    key.refresh_from_db()
    assert key.compromised_at is None


def test_the_command_marks_a_did_key(accredited):
    key = active_issuer_key(accredited)
    sign(accredited)  # opens did:key status lists that only this key can sign
    out = StringIO()
    call_command("mark_key_compromised", key.verification_method, "--note", NOTE, stdout=out)
    key.refresh_from_db()
    assert key.compromised_at is not None and key.compromise_note == NOTE
    new = active_issuer_key(accredited)
    assert new.did in out.getvalue()
    assert "can only be signed by it" in out.getvalue()
    again = StringIO()
    call_command("mark_key_compromised", key.did, "--note", "again", stdout=again)
    assert "already reported compromised" in again.getvalue()


def test_the_command_marks_a_hosted_key_by_its_fragment_at_a_given_time(hosted):
    key = active_issuer_key(hosted)
    with pytest.raises(CommandError, match="name one"):
        call_command("mark_key_compromised", DID, "--note", NOTE)
    at = key.created_at  # the earliest time a compromise can be reported for
    call_command(
        "mark_key_compromised", f"{DID}#{key.public_key_multibase}", "--note", NOTE, "--at", at.isoformat()
    )
    key.refresh_from_db()
    assert key.compromised_at == at


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "--note", NOTE],
            "names no signing key",
        ),
        (["{key}", "--note", NOTE, "--at", "yesterday"], "time zone"),
        (["{key}", "--note", NOTE, "--at", "2026-13-01T00:00:00Z"], "time zone"),
        (["{key}", "--note", NOTE, "--at", "2026-01-01T00:00:00"], "time zone"),
        (["{key}", "--note", " "], "note"),
    ],
)
def test_the_command_refuses_what_it_cannot_record(accredited, arguments, message):
    key = active_issuer_key(accredited)
    with pytest.raises(CommandError, match=message):
        call_command("mark_key_compromised", *[a.replace("{key}", key.did) for a in arguments])
    key.refresh_from_db()
    assert key.compromised_at is None
