"""The keys organisations sign their access requests with (consent.signing checks the proofs).

An organisation registers the did:key of an Ed25519 key it holds (``register_request_key``) and
signs each request itself: only it can have made such a proof, so it cannot deny the request
later. An organisation that files from the web console holds no key there; for it we keep a
custodial key (``custodial_request_key``), sealed under the KEK ring like issuers' keys and
re-wrapped by KEK rotation (``REQUEST_SIGNING_KEYS`` in vault.keyrotation), which signs the
request as the console submitted it. A proof by a custodial key is marked as such in the evidence.
"""

import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.keyring import SealedColumn, keyring
from vc.errors import UnresolvableKey
from vc.multikey import did_key_for, resolve_did_key

from .errors import InvalidRequestKey, RequestKeyNotFound, RequestKeyTaken
from .models import Organisation, RequestSigningKey


def _aad(key_id: uuid.UUID) -> bytes:
    return f"citizen-vault/request-signing-key/v1|key:{key_id}".encode()


# Custodial request-signing keys, wrapped by the KEK ring: they join KEK rotation.
REQUEST_SIGNING_KEYS = SealedColumn(
    label="custodial request-signing keys",
    model=RequestSigningKey,
    kek_field="kek_id",
    sealed_field="private_key_sealed",
    aad=lambda key: _aad(key.pk),
)


def request_keys_of(organisation: Organisation) -> QuerySet[RequestSigningKey]:
    return RequestSigningKey.objects.filter(organisation=organisation)


def canonical_verification_method(value: object) -> str:
    """``did:key:z6Mk…#z6Mk…`` of an Ed25519 did:key (given with or without its fragment);
    raises InvalidRequestKey for anything else."""
    try:
        _, public_key = resolve_did_key(value)
    except UnresolvableKey as exc:
        raise InvalidRequestKey(f"Not a did:key verification method: {exc}") from None
    if not isinstance(public_key, Ed25519PublicKey):
        raise InvalidRequestKey(
            "Requests are signed with eddsa-jcs-2022: register an Ed25519 did:key (z6Mk…)."
        )
    return did_key_for(public_key).verification_method


def register_request_key(*, organisation: Organisation, verification_method: str) -> RequestSigningKey:
    """Register the public key of a key pair ``organisation`` holds, by its did:key.

    Raises InvalidRequestKey (not an Ed25519 did:key) or RequestKeyTaken (registered already,
    to this organisation or another: a key is one organisation's for ever).
    """
    method = canonical_verification_method(verification_method)
    try:
        with transaction.atomic():
            return RequestSigningKey.objects.create(organisation=organisation, verification_method=method)
    except IntegrityError:
        raise RequestKeyTaken("That key is already registered; generate a new key pair.") from None


def retire_request_key(*, organisation: Organisation, key_id: uuid.UUID) -> RequestSigningKey:
    """Stop accepting new proofs by one of ``organisation``'s keys (kept for old evidence).

    Raises RequestKeyNotFound (not one of its keys). Retiring twice keeps the first date.
    """
    with transaction.atomic():
        key = request_keys_of(organisation).select_for_update().filter(pk=key_id).first()
        if key is None:
            raise RequestKeyNotFound("Your organisation has no request-signing key with that id.")
        if key.retired_at is None:
            key.retired_at = timezone.now()
            key.save(update_fields=["retired_at"])
        return key


def custodial_request_key(organisation: Organisation) -> RequestSigningKey:
    """The organisation's active custodial key, made on first use (two first uses at once make
    one key: the second waits on the first's unique index entry, then reads its key)."""
    key = request_keys_of(organisation).filter(custodial=True, retired_at__isnull=True).first()
    if key is not None:
        return key
    private_key = Ed25519PrivateKey.generate()
    key_id = uuid.uuid4()
    wrapped = keyring().wrap(private_key.private_bytes_raw(), aad=_aad(key_id))
    try:
        with transaction.atomic():
            return RequestSigningKey.objects.create(
                id=key_id,
                organisation=organisation,
                verification_method=did_key_for(private_key.public_key()).verification_method,
                custodial=True,
                kek_id=wrapped.kek_id,
                private_key_sealed=wrapped.sealed,
            )
    except IntegrityError:
        return request_keys_of(organisation).get(custodial=True, retired_at__isnull=True)


def unseal_custodial_key(key: RequestSigningKey) -> Ed25519PrivateKey:
    """The private half of a custodial key, for one signature; raises DecryptionError."""
    raw = keyring().unwrap(REQUEST_SIGNING_KEYS.wrapped(key), aad=_aad(key.pk))
    return Ed25519PrivateKey.from_private_bytes(raw)
