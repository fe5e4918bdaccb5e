"""Issuer P-256 keys: every issuer holds one beside its Ed25519 key, sealed the same way, rotated
and reported compromised the same way, trusted by the same rules, and listed in its hosted did:web
document. ecdsa-* proofs by it are the issuer's, whether the issuer is named by its Ed25519
did:key (the P-256 key is a did:key of its own, of the same organisation) or by its hosted did:web.
"""

import threading

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.keyring import DecryptionError
from credentials.keys import unseal_private_key
from credentials.models import IssuerKey
from credentials.selectors import active_issuer_key, current_identity, issuer_key_of, signs_for
from credentials.services import create_issuer_key, host_issuer_did, mark_key_compromised, p256_identity
from credentials.verification import Outcome, verify_credential
from tests.conftest import diploma
from tests.credentials.conftest import HOLDER
from vc.dataintegrity import add_proof
from vc.diddocument import parse_did_document
from vc.dids import did_key_document
from vc.errors import ProofInvalid
from vc.multikey import curve_name, public_key_to_multikey

P256 = IssuerKey.KeyType.P256
NOTE = "The HSM export of the P-256 key was found on a shared drive; reported by the CISO."
HOST = "vault.example.be"


@pytest.fixture(autouse=True)
def no_network(monkeypatch, settings):
    def refuse(url, **kwargs):
        raise AssertionError(f"tried to fetch {url} over the network")

    settings.DID_WEB_NETWORK = False
    monkeypatch.setattr("credentials.didweb.fetch_json", refuse)
    monkeypatch.setattr("credentials.remote.fetch_json", refuse)


def ecdsa_signed(organisation, *, cryptosuite="ecdsa-rdfc-2019", credential=None):
    """A diploma signed as the organisation's current DID with its active P-256 key."""
    identity = p256_identity(organisation)
    unsigned = {
        **(credential or diploma(id=HOLDER)),
        "issuer": identity.did,
        "validFrom": "2024-07-01T00:00:00Z",
    }
    return add_proof(
        unsigned,
        private_key=unseal_private_key(identity.key),
        verification_method=identity.verification_method,
        cryptosuite=cryptosuite,
    )


# The key.


def test_an_issuer_gets_an_ed25519_and_a_p256_key(issuer):
    ed25519 = active_issuer_key(issuer)
    p256 = active_issuer_key(issuer, key_type=P256)
    assert (ed25519.key_type, p256.key_type) == ("Ed25519", "P-256")
    assert ed25519.did.startswith("did:key:z6Mk") and p256.did.startswith("did:key:zDn")
    assert p256.verification_method == f"{p256.did}#{p256.public_key_multibase}"
    private = unseal_private_key(p256)
    assert isinstance(private, ec.EllipticCurvePrivateKey) and curve_name(private) == "P-256"
    assert public_key_to_multikey(private.public_key()) == p256.public_key_multibase
    assert bytes(p256.private_key_sealed) != private.private_numbers().private_value.to_bytes(32, "big")


def test_the_sealed_p256_key_is_bound_to_its_type(issuer):
    p256 = active_issuer_key(issuer, key_type=P256)
    p256.key_type = IssuerKey.KeyType.ED25519  # the same sealed bytes read as another type's
    with pytest.raises(DecryptionError):
        unseal_private_key(p256)


def test_the_did_key_document_of_the_p256_key_resolves_it(issuer):
    p256 = active_issuer_key(issuer, key_type=P256)
    document = parse_did_document(p256.did, did_key_document(p256.did))
    key = document.public_key(p256.verification_method, purpose="assertionMethod")
    assert public_key_to_multikey(key) == p256.public_key_multibase


def test_one_active_key_of_each_type(issuer):
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuerKey.objects.create(
            organisation=issuer,
            key_type=P256,
            did="did:key:zDnSecondActive",
            public_key_multibase="zDnSecondActive",
            kek_id="k",
            private_key_sealed=b"x",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuerKey.objects.filter(organisation=issuer, key_type=P256).update(key_type="P-384")


def test_an_organisation_from_before_p256_keys_gets_one_on_first_use(issuer):
    IssuerKey.objects.filter(organisation=issuer, key_type=P256).delete()  # as organisations made before
    assert active_issuer_key(issuer, key_type=P256, required=False) is None
    first = p256_identity(issuer)
    assert first.key.key_type == P256 and first.did == current_identity(issuer).did
    assert p256_identity(issuer).key == first.key  # created once
    assert IssuerKey.objects.filter(organisation=issuer, key_type=P256).count() == 1


# Rotation and compromise.


def test_rotation_retires_both_keys_and_keeps_them(issuer):
    old = list(IssuerKey.objects.filter(organisation=issuer))
    create_issuer_key(organisation=issuer)
    for key in old:
        key.refresh_from_db()
        assert key.retired_at is not None and key.compromised_at is None
    assert active_issuer_key(issuer, key_type=P256) not in old


def test_marking_the_p256_key_compromised_rotates_the_set(accredited):
    p256 = active_issuer_key(accredited, key_type=P256)
    ed25519 = active_issuer_key(accredited)
    marked = mark_key_compromised(key=p256, note=NOTE)
    assert marked.compromised_at is not None and marked.retired_at is not None
    ed25519.refresh_from_db()
    assert ed25519.retired_at is not None and ed25519.compromised_at is None  # retired, sound
    new = active_issuer_key(accredited, key_type=P256)
    assert new.pk != p256.pk and new.compromised_at is None


def test_an_ecdsa_credential_by_the_p256_key_is_the_issuers_and_trusted(accredited):
    for cryptosuite in ("ecdsa-rdfc-2019", "ecdsa-jcs-2019"):
        signed = ecdsa_signed(accredited, cryptosuite=cryptosuite)
        p256 = active_issuer_key(accredited, key_type=P256)
        assert signed["issuer"] == active_issuer_key(accredited).did  # named by its Ed25519 did:key
        assert signed["proof"]["verificationMethod"] == p256.verification_method
        result = verify_credential(signed)
        assert result.proof.passed, result.proof.detail
        assert result.issuer_trusted.passed, result.issuer_trusted.detail
        assert result.verification_method == p256.verification_method


def test_a_credential_by_a_compromised_p256_key_is_trusted_for_nothing(accredited):
    signed = ecdsa_signed(accredited)
    p256 = active_issuer_key(accredited, key_type=P256)
    mark_key_compromised(key=p256, note=NOTE, at=p256.created_at)
    result = verify_credential(signed)
    assert result.proof.passed  # a did:key still resolves: the registry refuses it
    assert result.issuer_trusted.outcome == Outcome.FAILED
    assert "reported compromised" in result.issuer_trusted.detail
    assert p256.verification_method in result.issuer_trusted.detail
    assert not result.verified


def test_a_retired_p256_key_is_trusted_only_for_what_its_issuer_can_revoke(accredited):
    signed = ecdsa_signed(accredited)  # no status entry
    create_issuer_key(organisation=accredited)
    result = verify_credential(signed)
    assert result.issuer_trusted.outcome == Outcome.FAILED
    assert "retired key" in result.issuer_trusted.detail


def test_another_organisations_p256_key_does_not_speak_for_the_issuer(accredited, other_issuer):
    own = active_issuer_key(accredited)
    foreign = p256_identity(other_issuer).key
    assert signs_for(own.did, active_issuer_key(accredited, key_type=P256).did)
    assert not signs_for(own.did, foreign.did)
    assert not signs_for(own.did, "did:key:zDnaeUnknownKey")
    unsigned = {**diploma(id=HOLDER), "issuer": own.did, "validFrom": "2024-07-01T00:00:00Z"}
    forged = add_proof(
        unsigned,
        private_key=unseal_private_key(foreign),
        verification_method=foreign.verification_method,
        cryptosuite="ecdsa-rdfc-2019",
    )
    result = verify_credential(forged)
    assert result.proof.outcome == Outcome.FAILED
    assert isinstance(result.proof.error, ProofInvalid) and "not of the issuer" in result.proof.detail


# Hosted did:web.


def test_a_hosted_issuer_signs_ecdsa_as_its_did_web(accredited, settings):
    settings.ISSUER_DID_WEB_HOST = HOST
    hosted = host_issuer_did(organisation=accredited)
    signed = ecdsa_signed(accredited)
    p256 = active_issuer_key(accredited, key_type=P256)
    assert signed["issuer"] == hosted.did
    assert signed["proof"]["verificationMethod"] == f"{hosted.did}#{p256.public_key_multibase}"
    assert issuer_key_of(signed["proof"]["verificationMethod"]) == p256
    assert verify_credential(signed).verified
    mark_key_compromised(key=p256, note=NOTE, at=timezone.now())
    refused = verify_credential(signed)
    assert refused.proof.outcome == Outcome.FAILED  # the document no longer lists the key
    assert "reported compromised" in refused.proof.detail


# First use, concurrently (PostgreSQL: SQLite serialises writing transactions).


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_first_uses_at_once_make_one_p256_key(issuer, on_postgres):
    if not on_postgres:
        pytest.skip("concurrent transactions: PostgreSQL only")
    IssuerKey.objects.filter(organisation=issuer, key_type=P256).delete()
    made, release = threading.Event(), threading.Event()
    first: list[object] = []

    def first_use():
        try:
            with transaction.atomic():
                first.append(p256_identity(issuer).key)
                made.set()
                release.wait(timeout=30)  # holds its uncommitted key
        except BaseException as exc:
            first.append(exc)
            made.set()
        finally:
            connection.close()

    thread = threading.Thread(target=first_use)
    thread.start()
    try:
        assert made.wait(timeout=30)
        second: list[object] = []

        def second_use():
            try:
                with transaction.atomic():
                    second.append(p256_identity(issuer).key)
            except BaseException as exc:
                second.append(exc)
            finally:
                connection.close()

        other = threading.Thread(target=second_use)
        other.start()
        for _ in range(600):  # until the second insert waits on the first's unique index entry
            if _waiting_on_a_lock():
                break
            threading.Event().wait(0.05)
        assert _waiting_on_a_lock() == 1
    finally:
        release.set()
        thread.join()
    other.join()
    assert isinstance(first[0], IssuerKey) and isinstance(second[0], IssuerKey), (first, second)
    assert first[0].pk == second[0].pk  # the loser read the winner's key
    assert IssuerKey.objects.filter(organisation=issuer, key_type=P256).count() == 1
