"""Hosted did:web issuer DIDs: one DID per issuer that survives key rotation.

Everything here resolves from the database: DID_WEB_NETWORK is off (pytest-env), and the
``no_network`` fixture fails any attempt to fetch a document, so a pass proves air-gapped
verification of our own issuers.
"""

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Organisation
from credentials.dids import resolve_verification_method
from credentials.errors import AccreditationInvalid, DidHostingRefused
from credentials.hosted import hosting_authority
from credentials.models import Accreditation, HostedIssuerDid, IssuerKey, StatusEntry, StatusList
from credentials.selectors import active_issuer_key, current_identity, organisation_of_did
from credentials.services import create_issuer_key, host_issuer_did, issue_credential, register_external_did
from credentials.statuslist import set_status, status_list_url, verify_status_list_credential
from credentials.verification import CHECKS, Outcome, verify_credential
from tests.conftest import diploma
from tests.credentials.conftest import HOLDER, accredit, sign
from tests.support import assert_problem, role_matrix
from vc.diddocument import parse_did_document
from vc.dids import did_web_to_url
from vc.errors import CredentialInvalid, UnresolvableKey
from vc.multikey import curve_name

HOST = "vault.example.be"
DID = f"did:web:{HOST}:issuers:ghent-demo-university"
DOCUMENT_PATH = "/issuers/ghent-demo-university/did.json"
PASSED = dict.fromkeys(CHECKS, Outcome.PASSED)


@pytest.fixture(autouse=True)
def no_network(monkeypatch, settings):
    """Resolution of our own DIDs and status lists must never reach for the network."""

    def refuse(url, **kwargs):
        raise AssertionError(f"tried to fetch {url} over the network")

    settings.DID_WEB_NETWORK = False
    monkeypatch.setattr("credentials.didweb.fetch_json", refuse)
    monkeypatch.setattr("credentials.remote.fetch_json", refuse)


@pytest.fixture
def hosting(settings):
    settings.ISSUER_DID_WEB_HOST = HOST


@pytest.fixture
def hosted(issuer, hosting) -> Organisation:
    host_issuer_did(organisation=issuer)
    return issuer


@pytest.fixture
def accredited(hosted) -> Organisation:
    accredit(hosted)
    return hosted


def outcomes(result):
    return {name: check.outcome for name, check in result.checks.items()}


def entry_for(signed, purpose):
    [entry] = [e for e in signed["credentialStatus"] if e["statusPurpose"] == purpose]
    return entry


def list_of(signed, purpose="revocation") -> StatusList:
    return StatusEntry.objects.get(credential_id=signed["id"], status_purpose=purpose).status_list


# Hosting an issuer.


def test_hosting_gives_an_issuer_one_did_web_under_our_host(issuer, hosting):
    hosted = host_issuer_did(organisation=issuer)
    assert hosted.did == DID
    assert hosted.organisation == issuer
    assert did_web_to_url(hosted.did) == f"https://{HOST}{DOCUMENT_PATH}"
    assert host_issuer_did(organisation=issuer) == hosted  # idempotent
    assert HostedIssuerDid.objects.count() == 1


def test_a_port_is_percent_encoded_in_the_did(issuer, settings):
    settings.ISSUER_DID_WEB_HOST = f"{HOST}:8443"
    hosted = host_issuer_did(organisation=issuer)
    assert hosted.did == f"did:web:{HOST}%3A8443:issuers:ghent-demo-university"
    assert did_web_to_url(hosted.did) == f"https://{HOST}:8443{DOCUMENT_PATH}"


def test_hosting_is_refused_while_the_setting_is_off(issuer, settings):
    settings.ISSUER_DID_WEB_HOST = ""
    with pytest.raises(DidHostingRefused, match="ISSUER_DID_WEB_HOST"):
        host_issuer_did(organisation=issuer)
    assert not HostedIssuerDid.objects.exists()


def test_only_issuers_are_hosted(employer, hosting):
    with pytest.raises(DidHostingRefused, match="not an issuer"):
        host_issuer_did(organisation=employer.organisation)
    assert not HostedIssuerDid.objects.exists()


def test_a_slug_that_cannot_be_a_did_path_segment_is_refused(issuer, hosting):
    Organisation.objects.filter(pk=issuer.pk).update(slug="gent/univ")
    issuer.refresh_from_db()
    with pytest.raises(DidHostingRefused, match="slug"):
        host_issuer_did(organisation=issuer)


def test_a_hosted_did_never_moves_to_another_host(hosted, settings):
    settings.ISSUER_DID_WEB_HOST = "other.example.be"
    with pytest.raises(DidHostingRefused, match="cannot move"):
        host_issuer_did(organisation=hosted)
    assert HostedIssuerDid.objects.get().did == DID


@pytest.mark.parametrize("host", ["10.0.0.7", "10.0.0.7:8443", "vault.example.be:0", "-bad-.example"])
def test_a_host_setting_that_cannot_name_a_did_web_is_a_configuration_error(settings, host):
    settings.ISSUER_DID_WEB_HOST = host
    with pytest.raises(ImproperlyConfigured, match="ISSUER_DID_WEB_HOST"):
        hosting_authority()


def test_the_host_issuer_did_command(issuer, employer, hosting, settings):
    out = StringIO()
    call_command("host_issuer_did", issuer.slug, stdout=out)
    assert DID in out.getvalue()
    assert f"https://{HOST}{DOCUMENT_PATH}" in out.getvalue()
    with pytest.raises(CommandError, match="no organisation"):
        call_command("host_issuer_did", "nobody")
    with pytest.raises(CommandError, match="not an issuer"):
        call_command("host_issuer_did", employer.organisation.slug)
    settings.ISSUER_DID_WEB_HOST = ""
    with pytest.raises(CommandError, match="off"):
        call_command("host_issuer_did", issuer.slug)


# The DID document.


def test_the_did_document_lists_the_keys_as_assertion_methods(hosted, anonymous):
    key = active_issuer_key(hosted)
    p256 = active_issuer_key(hosted, key_type=IssuerKey.KeyType.P256)
    assert p256.public_key_multibase.startswith("zDn")
    response = anonymous.get(DOCUMENT_PATH)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+ld+json"
    assert response["Cache-Control"] == "public, max-age=300"
    method_ids = [f"{DID}#{key.public_key_multibase}", f"{DID}#{p256.public_key_multibase}"]
    assert response.json() == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": signing_key.public_key_multibase,
            }
            for method_id, signing_key in zip(method_ids, [key, p256], strict=True)
        ],
        "assertionMethod": method_ids,
    }
    parsed = parse_did_document(DID, response.json())
    assert parsed.relationships["assertionMethod"] == set(method_ids)
    # The P-256 key resolves from the document, as ecdsa-* proofs need it.
    assert curve_name(parsed.public_key(method_ids[1], purpose="assertionMethod")) == "P-256"


def test_after_a_rotation_the_document_lists_the_retired_and_the_new_keys(hosted, anonymous):
    old = list(IssuerKey.objects.filter(organisation=hosted).order_by("created_at", "key_type"))
    create_issuer_key(organisation=hosted)
    new = list(IssuerKey.objects.filter(organisation=hosted, retired_at__isnull=True).order_by("key_type"))
    assert [key.key_type for key in old] == [key.key_type for key in new] == ["Ed25519", "P-256"]
    document = anonymous.get(DOCUMENT_PATH).json()
    assert document["id"] == DID
    expected = [f"{DID}#{key.public_key_multibase}" for key in [*old, *new]]
    assert [m["id"] for m in document["verificationMethod"]] == expected
    assert document["assertionMethod"] == expected


@role_matrix(
    ["issuer", "employer", "citizen", "anonymous"], issuer=200, employer=200, citizen=200, anonymous=200
)
def test_the_did_document_is_public(hosted, university, employer, citizen, anonymous, role, status):
    client = {"issuer": university, "employer": employer, "citizen": citizen, "anonymous": anonymous}[role]
    assert client.get(DOCUMENT_PATH).status_code == status


def test_an_unknown_slug_is_a_404_problem(hosted, anonymous):
    assert_problem(anonymous.get("/issuers/nobody/did.json"), 404, "unknown-issuer-did")


def test_an_issuer_that_is_not_hosted_has_no_document(other_issuer, hosting, anonymous):
    assert_problem(anonymous.get(f"/issuers/{other_issuer.slug}/did.json"), 404, "unknown-issuer-did")


def test_no_document_is_served_while_hosting_is_off(hosted, settings, anonymous):
    settings.ISSUER_DID_WEB_HOST = ""
    assert_problem(anonymous.get(DOCUMENT_PATH), 404, "unknown-issuer-did")


# Resolution: from the database, with purpose checks.


def test_a_hosted_key_resolves_from_the_database_for_assertions_only(hosted):
    key = active_issuer_key(hosted)
    method = f"{DID}#{key.public_key_multibase}"
    controller, public_key = resolve_verification_method(method, purpose="assertionMethod")
    assert controller == DID
    assert (
        public_key.public_bytes_raw()
        == resolve_verification_method(key.verification_method)[1].public_bytes_raw()
    )
    with pytest.raises(UnresolvableKey, match="not listed under authentication"):
        resolve_verification_method(method, purpose="authentication")


def test_a_did_on_our_host_that_we_do_not_host_does_not_resolve(hosted, other_issuer):
    key = active_issuer_key(other_issuer)
    stranger = f"did:web:{HOST}:issuers:{other_issuer.slug}"
    with pytest.raises(UnresolvableKey, match="not an issuer DID it hosts"):
        resolve_verification_method(f"{stranger}#{key.public_key_multibase}", purpose="assertionMethod")


def test_a_key_of_another_organisation_is_not_in_the_hosted_document(hosted, other_issuer):
    foreign = active_issuer_key(other_issuer)
    with pytest.raises(UnresolvableKey, match="no verification method"):
        resolve_verification_method(f"{DID}#{foreign.public_key_multibase}", purpose="assertionMethod")


# Signing and verifying, across a rotation.


def test_a_hosted_issuer_signs_as_its_did_web(hosted):
    signed = sign(hosted)
    key = active_issuer_key(hosted)
    assert signed["issuer"] == DID
    assert signed["proof"]["verificationMethod"] == f"{DID}#{key.public_key_multibase}"
    assert current_identity(hosted).did == DID


def test_diplomas_signed_before_and_after_a_rotation_both_verify(accredited):
    before = sign(accredited)
    old_key = active_issuer_key(accredited)
    new_key = create_issuer_key(organisation=accredited)
    after = sign(accredited)

    assert before["issuer"] == after["issuer"] == DID
    assert before["proof"]["verificationMethod"] == f"{DID}#{old_key.public_key_multibase}"
    assert after["proof"]["verificationMethod"] == f"{DID}#{new_key.public_key_multibase}"
    for signed in (before, after):
        result = verify_credential(signed)
        assert outcomes(result) == PASSED, result.as_dict()
        assert result.issuer == DID
    # The did:web lists outlive the rotation: both credentials sit in the same lists.
    assert (
        entry_for(before, "revocation")["statusListCredential"]
        == (entry_for(after, "revocation")["statusListCredential"])
    )


def test_revoking_a_diploma_signed_before_a_rotation_shows_in_its_verification(accredited):
    before = sign(accredited)
    create_issuer_key(organisation=accredited)
    set_status(issuer=accredited, credential_id=before["id"], purpose="revocation", value=True)
    result = verify_credential(before)
    assert result.status.outcome == Outcome.FAILED
    assert "revoked" in result.status.detail
    assert result.proof.passed and result.issuer_trusted.passed


def test_without_an_accreditation_a_hosted_issuer_is_not_trusted(hosted):
    result = verify_credential(sign(hosted))
    assert result.proof.passed
    assert result.issuer_trusted.outcome == Outcome.FAILED
    assert DID in result.issuer_trusted.detail


def test_the_status_list_of_a_hosted_issuer_verifies_and_is_re_signed_by_the_current_key(hosted, anonymous):
    signed = sign(hosted)
    status_list = list_of(signed)
    assert status_list.issuer_did == DID
    url = status_list_url(status_list.id)
    path = url.removeprefix("http://127.0.0.1:8000")

    document = anonymous.get(path).json()
    listing, _ = verify_status_list_credential(document, url=url, now=timezone.now())
    assert document["issuer"] == listing.issuer == DID

    new_key = create_issuer_key(organisation=hosted)
    set_status(issuer=hosted, credential_id=signed["id"], purpose="revocation", value=True)
    document = anonymous.get(path).json()
    listing, _ = verify_status_list_credential(document, url=url, now=timezone.now())
    assert listing.issuer == DID
    assert document["proof"]["verificationMethod"] == f"{DID}#{new_key.public_key_multibase}"


def test_an_issuer_hosted_after_signing_with_did_key_keeps_both_identities_apart(issuer, hosting, anonymous):
    on_did_key = sign(issuer)
    did_key_list = list_of(on_did_key)
    old_key = active_issuer_key(issuer)
    host_issuer_did(organisation=issuer)
    create_issuer_key(organisation=issuer)
    on_did_web = sign(issuer)

    assert on_did_key["issuer"] == old_key.did
    assert on_did_web["issuer"] == DID
    assert list_of(on_did_web).pk != did_key_list.pk
    # The did:key list is still signed by its own (now retired) key, as its own DID.
    url = status_list_url(did_key_list.id)
    document = anonymous.get(url.removeprefix("http://127.0.0.1:8000")).json()
    assert document["issuer"] == old_key.did
    assert document["proof"]["verificationMethod"] == old_key.verification_method
    for signed in (on_did_key, on_did_web):
        result = verify_credential(signed)
        assert result.proof.passed and result.status.passed, result.as_dict()


def test_re_signing_a_did_key_credential_id_as_the_did_web_is_refused(issuer, hosting):
    credential = {**diploma(), "id": "urn:uuid:3f1d3c44-7a4b-4f8e-9a51-61f1c0d7e0aa"}
    sign(issuer, credential)
    host_issuer_did(organisation=issuer)
    with pytest.raises(CredentialInvalid, match="issued before as did:key"):
        sign(issuer, credential)


def test_an_issuer_other_than_the_current_did_is_refused(hosted):
    old_did_key = active_issuer_key(hosted).did  # the key's own DID is no longer the issuer's
    for issuer in (old_did_key, {"id": old_did_key}, "did:web:elsewhere.example"):
        with pytest.raises(CredentialInvalid, match=f"must be {DID}"):
            issue_credential(
                organisation=hosted, credential={**diploma(), "issuer": issuer}, subject_id=HOLDER
            )
    assert not StatusEntry.objects.exists()
    assert sign(hosted, {**diploma(), "issuer": DID})["issuer"] == DID


# Trust registry.


def test_the_trust_registry_knows_the_hosted_did(hosted):
    assert organisation_of_did(DID) == hosted


def test_a_did_on_our_host_cannot_be_registered_as_an_external_did(hosted, other_issuer, settings):
    with pytest.raises(AccreditationInvalid, match="own host"):
        register_external_did(organisation=other_issuer, did=DID)
    with pytest.raises(AccreditationInvalid, match="own host"):
        register_external_did(organisation=other_issuer, did=f"did:web:{HOST}:issuers:{other_issuer.slug}")
    settings.ISSUER_DID_WEB_HOST = "other.example.be"  # even if the host setting were changed
    with pytest.raises(AccreditationInvalid, match="already belongs"):
        register_external_did(organisation=other_issuer, did=DID)


def test_a_did_registered_before_hosting_was_on_cannot_be_hosted(issuer, other_issuer, settings):
    settings.ISSUER_DID_WEB_HOST = ""
    register_external_did(organisation=other_issuer, did=DID)
    settings.ISSUER_DID_WEB_HOST = HOST
    with pytest.raises(DidHostingRefused, match="already belongs"):
        host_issuer_did(organisation=issuer)
    assert not HostedIssuerDid.objects.exists()


# The VC API and issuance into a pod.


def test_the_vc_api_issues_as_the_did_web(university, hosting):
    host_issuer_did(organisation=university.organisation)
    response = university.post(
        "/credentials/issue",
        {
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": "urn:uuid:5e3b7b1e-2b7e-4c1a-8e63-0f4c2c7f4b11",
                "type": ["VerifiableCredential"],
                "issuer": DID,
                "credentialSubject": {"id": "did:example:alice", "name": "Alice"},
            },
            "options": {"credentialStatus": {"type": "BitstringStatusListEntry"}},
        },
    )
    assert response.status_code == 201, response.json()
    signed = response.json()["verifiableCredential"]
    assert signed["issuer"] == DID
    assert signed["proof"]["verificationMethod"].startswith(DID + "#")
    result = verify_credential(signed)
    assert result.proof.passed and result.status.passed, result.as_dict()


def test_the_vc_api_refuses_the_issuers_old_did_key(university, hosting):
    old_did_key = active_issuer_key(university.organisation).did
    host_issuer_did(organisation=university.organisation)
    response = university.post(
        "/credentials/issue",
        {
            "credential": {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "issuer": old_did_key,
                "credentialSubject": {"id": "did:example:alice"},
            }
        },
    )
    body = assert_problem(response, 422, "invalid-credential")
    assert body["errors"][0]["path"] == "/issuer"
    assert DID in body["errors"][0]["detail"]


def test_issuance_into_a_pod_works_for_a_hosted_issuer(university, citizen, hosting):
    from vault.models import PodCredential
    from vault.services import issue_into_pod

    host_issuer_did(organisation=university.organisation)
    resource, signed = issue_into_pod(
        issuer=university.organisation, national_id="BE:85073003328", credential=diploma()
    )
    assert signed["issuer"] == DID
    assert signed["credentialSubject"]["id"] == citizen.pod.holder_did
    assert PodCredential.objects.get(pk=resource.pk).pod == citizen.pod

    response = university.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": "BE:85073003328"}, "credential": diploma()}
    )
    assert response.status_code == 201, response.json()
    assert PodCredential.objects.filter(pod=citizen.pod).count() == 2


# The migration that records the issuer DID of existing lists.


@pytest.mark.django_db(transaction=True)
def test_existing_status_lists_get_their_keys_did_key_as_issuer_did():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("credentials", "0003_external_issuer_dids")]
    after = [("credentials", "0004_hosted_issuer_dids")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        organisation = old.get_model("accounts", "Organisation").objects.create(
            name="Old University", slug="old-university", kind="issuer"
        )
        key = old.get_model("credentials", "IssuerKey").objects.create(
            organisation=organisation,
            did="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            public_key_multibase="z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            kek_id="dev",
            private_key_sealed=b"\0",
        )
        status_list = old.get_model("credentials", "StatusList").objects.create(
            organisation=organisation, issuer_key=key, status_purpose="revocation", bitstring=bytes(16384)
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps
        assert new.get_model("credentials", "StatusList").objects.get(pk=status_list.pk).issuer_did == key.did
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert IssuerKey.objects.filter(did="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").exists()


# The admin.


def test_the_admin_action_hosts_issuers_and_skips_the_others(operator, university, employer, hosting):
    response = operator.post(
        "/admin/accounts/organisation/",
        {
            "action": "host_did_web",
            "_selected_action": [university.organisation.pk, employer.organisation.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(DID in m for m in shown)
    assert any("not an issuer" in m for m in shown)
    assert list(HostedIssuerDid.objects.values_list("did", flat=True)) == [DID]


def test_the_admin_shows_the_hosted_did_and_its_document_read_only(operator, accredited):
    page = operator.get(f"/admin/accounts/organisation/{accredited.pk}/change/")
    assert page.status_code == 200
    assert f"https://{HOST}{DOCUMENT_PATH}".encode() in page.content
    accreditation = Accreditation.objects.get(organisation=accredited)
    covered = operator.get(f"/admin/credentials/accreditation/{accreditation.pk}/change/")
    assert DID.encode() in covered.content  # the DIDs the accreditation covers
    listing = operator.get("/admin/credentials/hostedissuerdid/")
    assert listing.status_code == 200
    assert DID.encode() in listing.content
    hosted_did = HostedIssuerDid.objects.get()
    change = f"/admin/credentials/hostedissuerdid/{hosted_did.pk}/change/"
    assert operator.post(change, {"did": "did:web:elsewhere.example"}).status_code == 403
    assert operator.post(f"/admin/credentials/hostedissuerdid/{hosted_did.pk}/delete/").status_code == 403
    assert HostedIssuerDid.objects.get().did == DID
