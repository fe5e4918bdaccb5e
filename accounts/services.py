"""Writes for accounts: organisations, citizens' identities and API tokens."""

import functools
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.text import slugify

from core import rows

from . import identity
from .models import ApiToken, Membership, Organisation, User

TOKEN_PREFIX = "cvt"  # noqa: S105 - a public marker, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_organisation(*, name: str, kind: str, slug: str = "") -> Organisation:
    """Create an organisation of the given kind (issuer, employer, agency)."""
    organisation = Organisation(name=name, kind=kind, slug=slug or slugify(name)[:80])
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def create_citizen_user(*, email: str, national_id: str, password: str | None = None) -> User:
    """Create the user record of a citizen; the national identifier is kept only as an HMAC.

    Raises InvalidNationalId for a malformed identifier. Pods are opened by vault.services.
    """
    user = User(username=email, email=email)
    _set_national_id(user, national_id)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def add_member(
    *, organisation: Organisation, email: str, password: str | None = None, role: str = Membership.Role.MEMBER
) -> Membership:
    """Make the person with this e-mail address a member of ``organisation`` (creating their
    account, with ``password`` or none usable, if there is none); they sign in to the portal and
    land on the organisation's console. Idempotent for an existing membership.

    Raises ValueError for a citizen's account: a pod owner is not an organisation's member here
    (one account, one role in the portal)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(username=email, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    elif user.is_citizen:
        raise ValueError("A citizen's account cannot be an organisation's member.")
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    return membership


def _set_national_id(user: User, national_id: str) -> None:
    wrapped = identity.seal_national_id(user.pk, national_id)
    user.national_id_digest = identity.national_id_digest(national_id)
    user.national_id_hash_version = identity.current_lookup_version()
    user.national_id_kek_id = wrapped.kek_id
    user.national_id_sealed = wrapped.sealed


def remember_national_id(*, user: User, national_id: str) -> bool:
    """Bring a citizen found by ``national_id`` (under any lookup-hash version) onto the current
    version, with the identifier sealed for later re-hashing, if not there yet; True if it wrote.

    For citizens registered before identifiers were kept sealed: the next issuer who names them
    moves them. Runs in the caller's transaction (the issuance that named the citizen).
    """
    if user.national_id_hash_version == identity.current_lookup_version() and user.national_id_kek_id:
        return False
    _set_national_id(user, national_id)
    User.objects.filter(pk=user.pk).update(
        national_id_digest=user.national_id_digest,
        national_id_hash_version=user.national_id_hash_version,
        national_id_kek_id=user.national_id_kek_id,
        national_id_sealed=user.national_id_sealed,
    )
    return True


@dataclass(frozen=True)
class RehashProgress:
    rehashed: int
    last_id: uuid.UUID | None


def rehash_national_ids_batch(*, after: uuid.UUID | None, limit: int) -> RehashProgress:
    """Re-hash, in one transaction, up to ``limit`` citizens (ordered by id, after ``after``)
    whose digest is under an older lookup-hash version and whose identifier is kept sealed.

    Idempotent: a citizen already under the current version is not touched, so a run killed
    half-way is simply run again. Rows are locked (FOR UPDATE) for the batch only. Raises
    core.keyring.DecryptionError (logged, no plaintext) if a sealed identifier does not open.
    """
    current = identity.current_lookup_version()
    with transaction.atomic():
        rows = (
            User.objects.select_for_update(of=("self",))
            .filter(national_id_digest__isnull=False)
            .exclude(national_id_hash_version=current)
            .exclude(national_id_kek_id="")
            .order_by("pk")
        )
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(
            rows.only("pk", "national_id_kek_id", "national_id_sealed", "national_id_hash_version")[:limit]
        )
        for user in batch:
            user.national_id_digest = identity.national_id_digest(identity.unseal_national_id(user))
            user.national_id_hash_version = current
        User.objects.bulk_update(batch, ["national_id_digest", "national_id_hash_version"])
    return RehashProgress(len(batch), batch[-1].pk if batch else None)


@transaction.atomic
def issue_api_token(
    *,
    organisation: Organisation | None = None,
    user: User | None = None,
    name: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for exactly one holder; returns the row and the token, shown only once."""
    if (organisation is None) == (user is None):
        raise ValueError("A token belongs to exactly one organisation or user.")
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(
        prefix=prefix,
        digest=_token_digest(token),
        name=name,
        organisation=organisation,
        user=user,
        expires_at=expires_at,
    )
    return row, token


def revoke_api_token(*, token: ApiToken) -> None:
    """Revoke a token; the next request that uses it is refused."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


_LOOKUP_PREFIX = re.compile(r"[0-9a-f]{12}")

# The unrevoked token of a prefix with its holder (one row or none: the prefix is unique), written
# once per process from the models' fields (core.rows) instead of composed by the ORM on every
# request, which cost more CPU than the rest of the authentication (docs/benchmarks.md, issue 18).
# Nothing of the row is kept between requests: a revocation refuses the very next request.
_LIVE_ROW_SQL = (
    'SELECT {token}, {organisation}, {user} FROM "accounts_apitoken" '
    'LEFT OUTER JOIN "accounts_organisation" '
    'ON ("accounts_apitoken"."organisation_id" = "accounts_organisation"."id") '
    'LEFT OUTER JOIN "accounts_user" ON ("accounts_apitoken"."user_id" = "accounts_user"."id") '
    'WHERE "accounts_apitoken"."prefix" = %s AND "accounts_apitoken"."revoked_at" IS NULL'
)


@functools.cache
def _token_statement(alias: str) -> tuple[str, tuple[rows.Columns, rows.Columns, rows.Columns]]:
    parts = (rows.columns(ApiToken, alias), rows.columns(Organisation, alias), rows.columns(User, alias))
    token, organisation, user = (part.sql for part in parts)
    return _LIVE_ROW_SQL.format(token=token, organisation=organisation, user=user), parts


def _live_token(prefix: str) -> ApiToken | None:
    """The unrevoked token of ``prefix`` with its holder, as select_related() would have made
    them (the holder it does not have is None), or None."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql, (token_columns, organisation_columns, user_columns) = _token_statement(DEFAULT_DB_ALIAS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        found = cursor.fetchone()
    if found is None:
        return None
    user_at = token_columns.count + organisation_columns.count
    token = token_columns.make(found[: token_columns.count])
    organisation = (
        organisation_columns.make(found[token_columns.count : user_at]) if token.organisation_id else None
    )
    user = user_columns.make(found[user_at:]) if token.user_id else None
    ApiToken.organisation.field.set_cached_value(token, organisation)
    ApiToken.user.field.set_cached_value(token, user)
    return token


def authenticate_token(token: str) -> ApiToken | None:
    """The live token row for a presented token, or None. Constant-time digest comparison."""
    parts = token.split("_", 2)
    # The lookup prefix is 12 hex digits; anything else (a NUL byte, which PostgreSQL refuses in
    # text) never reaches the database.
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not _LOOKUP_PREFIX.fullmatch(parts[1]):
        return None
    row = _live_token(parts[1])
    if row is None or not hmac.compare_digest(row.digest, _token_digest(token)):
        return None
    now = timezone.now()
    if row.expires_at is not None and row.expires_at <= now:
        return None
    holder = row.organisation or row.user
    if holder is None or not holder.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row
