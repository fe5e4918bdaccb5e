"""Writes for the vault: the only door to pod data, and it records every pass."""

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.errors import SignInRefused
from accounts.identity import national_id_digests
from accounts.models import Organisation, User
from accounts.services import create_citizen_user, remember_national_id
from core.keyring import DecryptionError
from core.tasks import enqueue_on_commit
from credentials.services import issue_credential
from credentials.verification import verify_held_credential
from vc.multikey import did_key_for

from . import accesslog, crypto, keyrotation, selectors
from .access import AccessContext
from .errors import DuplicateCredential, OrganisationSuspended, PodNotFound
from .models import AccessEvent, Pod, PodCredential
from .reading import decrypt, own_pod, read_and_log
from .tasks import notify_new_credential

# What other apps do in the transaction that opens a pod (register_pod_opened): consent attaches
# the access requests held for the citizen's national identifier (the vault knows nothing of them).
PodOpened = Callable[[Pod, str | None], object]
_POD_OPENED: list[PodOpened] = []


def register_pod_opened(hook: PodOpened) -> None:
    """Run ``hook(pod, national_id)`` in the transaction of every pod opened from now on, after
    its first log entry; ``national_id`` is the identifier the citizen was registered with, when
    the caller knows it (None: the hook has the owner's keyed hash only). Idempotent."""
    if hook not in _POD_OPENED:
        _POD_OPENED.append(hook)


@transaction.atomic
def open_pod(*, owner: User, national_id: str | None = None) -> Pod:
    """Open a citizen's pod: a fresh data key (sealed under the KEK) and a holder key pair; then,
    in the same transaction, what other apps registered (register_pod_opened)."""
    pod_id = uuid.uuid4()
    data_key, wrapped = crypto.new_data_key(pod_id)
    holder_key = Ed25519PrivateKey.generate()
    pod = Pod.objects.create(
        id=pod_id,
        owner=owner,
        kek_id=wrapped.kek_id,
        data_key_sealed=wrapped.sealed,
        holder_did=did_key_for(holder_key.public_key()).did,
        holder_key_sealed=crypto.seal_for_pod(
            data_key, pod_id, crypto.HOLDER_KEY_KIND, pod_id, 1, holder_key.private_bytes_raw()
        ),
    )
    accesslog.append(pod, context=AccessContext.system(), action=AccessEvent.Action.POD_OPENED)
    for hook in _POD_OPENED:
        hook(pod, national_id)
    return pod


@transaction.atomic
def create_citizen(*, email: str, national_id: str, password: str | None = None) -> Pod:
    """Register a citizen and open their pod, together or not at all. Every way a citizen comes
    to be here goes through it (the first OpenID Connect sign-in, citizen_signing_in; the
    create_citizen command; the demo's seed), so the requests held for their identifier are
    attached to the pod in this transaction (consent, through register_pod_opened)."""
    owner = create_citizen_user(email=email, national_id=national_id, password=password)
    return open_pod(owner=owner, national_id=national_id)


PLACEHOLDER_EMAIL_DOMAIN = "citizens.invalid"  # RFC 2606: never delivered


def _usable_address(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return len(email) <= User._meta.get_field("username").max_length  # type: ignore[operator]


def citizen_signing_in(*, national_id: str, email: str = "") -> tuple[User, bool]:
    """The citizen whom the OpenID Provider identified by ``national_id``, and whether they are
    new: a first sign-in registers the citizen and opens their pod (create_citizen), in one
    transaction; a returning citizen is moved onto the current lookup-hash version.

    The account gets the provider's e-mail address when it is valid and no other account uses
    it; otherwise (or with none) an address under .invalid that nothing is sent to, so no
    account is ever joined to another by its e-mail. Two first sign-ins at once make one
    citizen: the second waits on the unique digest, then finds the first's. Raises
    SignInRefused for a deactivated account, InvalidNationalId for a malformed identifier.
    """
    for _attempt in range(2):
        try:
            with transaction.atomic():
                user = User.objects.filter(national_id_digest__in=national_id_digests(national_id)).first()
                if user is not None:
                    if not user.is_active:
                        raise SignInRefused("This account is deactivated.", reason="account-inactive")
                    remember_national_id(user=user, national_id=national_id)
                    return user, False
                usable = _usable_address(email) and not (
                    User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()
                )
                address = email if usable else f"citizen-{uuid.uuid4().hex}@{PLACEHOLDER_EMAIL_DOMAIN}"
                return create_citizen(email=address, national_id=national_id).owner, True
        except IntegrityError:
            continue  # another first sign-in of the same citizen (or the same address) committed first
    raise SignInRefused("The sign-in could not be completed; try again.", reason="concurrent-registration")


def _encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@transaction.atomic
def issue_into_pod(
    *,
    issuer: Organisation,
    national_id: str,
    credential: dict[str, Any],
    cryptosuite: str | None = None,
) -> tuple[PodCredential, dict[str, Any]]:
    """Sign an issuer's credential for a citizen, verify it, and store it encrypted in their pod.

    It is signed with a proof set (credentials.services.issue_credential): ``cryptosuite``'s
    proof for whole reads (default eddsa-rdfc-2022) and an ecdsa-sd-2023 base proof to derive
    field-level disclosures from.

    One transaction: the status-list entries, the stored credential and its log entry commit
    together or not at all; the citizen is notified after commit. Raises OrganisationSuspended
    (the issuer is deactivated, as the database says now, not as the caller's copy says),
    CitizenNotFound, the credentials errors or DuplicateCredential; nothing is stored then.
    """
    if not Organisation.objects.filter(pk=issuer.pk, is_active=True).exists():
        raise OrganisationSuspended("Your organisation is suspended; it cannot issue credentials.")
    pod = selectors.pod_for_national_id(national_id)
    signed, credential_type = issue_credential(
        organisation=issuer, credential=credential, subject_id=pod.holder_did, cryptosuite=cryptosuite
    )
    assert credential_type is not None  # issuance for a holder always names one registered type
    verify_held_credential(signed)  # verified on arrival, as any credential entering a pod is

    remember_national_id(user=pod.owner, national_id=national_id)

    # The pod's row lock orders concurrent issuances into one pod, so the check below holds, and
    # the data key is read under it: a data-key rotation of the pod (which takes the same lock)
    # cannot slip between reading the key and storing what it sealed.
    pod = Pod.objects.locked().get(pk=pod.pk)
    resource_id = uuid.uuid4()
    ciphertext = crypto.seal_for_pod(
        crypto.data_key(pod), pod.id, crypto.CREDENTIAL_KIND, resource_id, 1, _encode(signed)
    )
    key_version = pod.data_key_version
    if PodCredential.objects.filter(pod=pod, credential_id=signed["id"]).exists():
        raise DuplicateCredential(f"The pod already holds a credential with id {signed['id']}.")
    try:
        with transaction.atomic():  # a savepoint: only this insert's constraint is read as a duplicate
            resource = PodCredential.objects.create(
                id=resource_id,
                pod=pod,
                credential_id=signed["id"],
                credential_type=credential_type.name,
                issuer=issuer,
                ciphertext=ciphertext,
                key_version=key_version,
            )
    except IntegrityError as exc:  # SQLite takes no row lock: the unique constraint decides
        raise DuplicateCredential(f"The pod already holds a credential with id {signed['id']}.") from exc
    accesslog.append(
        pod,
        context=AccessContext.for_organisation(issuer),
        action=AccessEvent.Action.CREDENTIAL_ISSUED,
        resource=resource,
    )
    enqueue_on_commit(notify_new_credential, str(resource.pk))
    return resource, signed


@transaction.atomic
def reopen_issued(*, issuer: Organisation, resource_id: Any) -> tuple[PodCredential, dict[str, Any]]:
    """What ``issuer`` issued as ``resource_id``, to answer a retried issuance (Idempotency-Key).

    The issuer sees its own credential again, so it is logged as a read by the issuer. Raises
    PodNotFound when the credential is gone (erased since) or was not issued by ``issuer``.
    """
    resource = (
        PodCredential.objects.select_related("pod", "issuer").filter(pk=resource_id, issuer=issuer).first()
    )
    if resource is None:
        raise PodNotFound("The credential this Idempotency-Key issued is no longer held.")
    document = decrypt(crypto.PodKeys(resource.pod), resource)
    accesslog.append(
        resource.pod,
        context=AccessContext.for_organisation(issuer),
        action=AccessEvent.Action.CREDENTIAL_READ,
        resource=resource,
        reason="idempotent-replay",  # the issuer retried its issuance with the same Idempotency-Key
    )
    return resource, document


@transaction.atomic
def read_own_credentials(*, owner: User) -> list[tuple[PodCredential, dict[str, Any]]]:
    """The citizen reads their own pod (logged like any other read)."""
    # The pod, every credential it holds and its log head in one statement (an empty pod logs nothing).
    found = own_pod(owner)
    if found is None:
        raise PodNotFound("You have no pod.")
    pairs, _ = read_and_log(
        found.pod, context=AccessContext.for_citizen(owner), credential_types=None, held=found
    )
    return pairs


@transaction.atomic
def list_own_credentials(
    *, owner: User, resources: Sequence[PodCredential]
) -> list[tuple[PodCredential, dict[str, Any]]]:
    """Open ``resources``, the citizen's credentials on one page of the portal's list, to name
    them (degree names, validity periods). Raises PodNotFound if any is not in their pod.

    Listing opens them, so it is logged, but as one read per credential type with reason
    ``listed`` (not one per credential): the log says what was opened without a page view adding
    a screenful of entries to the citizen's own log.
    """
    pod = selectors.pod_of(owner)
    if any(resource.pod_id != pod.pk for resource in resources):
        raise PodNotFound("You hold no credential with that id.")
    if not resources:
        return []
    keys = crypto.PodKeys(pod)
    pairs = [(resource, decrypt(keys, resource)) for resource in resources]
    types = sorted({resource.credential_type for resource in resources})
    accesslog.append_all(
        pod,
        context=AccessContext.for_citizen(owner),
        entries=[
            accesslog.Entry(AccessEvent.Action.CREDENTIAL_READ, credential_type=name, reason="listed")
            for name in types
        ],
    )
    return pairs


@transaction.atomic
def read_own_credential(*, owner: User, resource_id: Any) -> tuple[PodCredential, dict[str, Any]]:
    """The citizen opens one of their credentials (logged). Raises PodNotFound for any other."""
    resource = (
        PodCredential.objects.select_related("pod", "issuer").filter(pk=resource_id, pod__owner=owner).first()
    )
    if resource is None:
        raise PodNotFound("You hold no credential with that id.")
    pod = resource.pod
    document = decrypt(crypto.PodKeys(pod), resource)
    accesslog.append(
        pod,
        context=AccessContext.for_citizen(owner),
        action=AccessEvent.Action.CREDENTIAL_READ,
        resource=resource,
    )
    return resource, document


def rotate_pod_data_key(
    *,
    pod_id: Any,
    batch_size: int = keyrotation.REENCRYPT_WRITE_SIZE,
    report: Callable[[str], None] = lambda line: None,
    between_batches: Callable[[], None] = lambda: None,
) -> int:
    """Re-encrypt one pod under a new data key in batches (vault.keyrotation), or finish the
    rotation a killed run left in progress; reads and writes go on meanwhile. The pod's access
    log records ``pod.rekeyed`` once, in the transaction that drops the old key. Returns how many
    ciphertexts this run re-encrypted.

    Raises PodNotFound; core.keyring.DecryptionError (logged) if something sealed in the pod does
    not open: what did not open stays under the old key, which the pod keeps, and everything else
    is under the new one (running again retries it).
    """
    try:
        outcome = keyrotation.rotate_pod(
            pod_id,
            batch_size=batch_size,
            finish=_finish_rotation,
            report=report,
            between_batches=between_batches,
        )
    except Pod.DoesNotExist as exc:
        raise PodNotFound("No pod with that id.") from exc
    if outcome.failed:
        raise DecryptionError(
            f"{len(outcome.failed)} ciphertext(s) of pod {outcome.pod_id} did not open; "
            "they stay under the pod's previous data key, which it keeps."
        )
    return outcome.reencrypted


@transaction.atomic
def _finish_rotation(pod: Pod) -> bool:
    finished = keyrotation.finish_pod_rotation(pod.pk)
    if finished is None:
        return False
    accesslog.append(
        finished,
        context=AccessContext.system(),
        action=AccessEvent.Action.DATA_KEY_ROTATED,
        reason="data-key-rotation",
    )
    return True


def record(
    pod: Pod,
    *,
    context: AccessContext,
    action: str,
    outcome: str = AccessEvent.Outcome.ALLOWED,
    credential_type: str = "",
    reason: str = "",
    fields: tuple[str, ...] = (),
) -> AccessEvent:
    """Record an act on the pod that touches no pod data (a request, a decision, a denial),
    with the JSON pointers of the ``fields`` it named, if any.

    Must run inside the transaction of the act.
    """
    return accesslog.append(
        pod,
        context=context,
        action=action,
        outcome=outcome,
        credential_type=credential_type,
        reason=reason,
        fields=fields,
    )
