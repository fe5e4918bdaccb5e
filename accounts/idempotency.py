"""Idempotency-Key for writes (the IETF httpapi Idempotency-Key header).

A client that retries a write after a timeout must not create a second credential or request:
the same key with the same body answers with what the first request made; the same key with
another body is refused (422), since the client has confused two requests.
"""

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from core.errors import DomainError, Invalid

from .models import IdempotencyKey, Organisation

T = TypeVar("T")

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyInvalid(DomainError):
    code = "invalid-idempotency-key"
    title = "The Idempotency-Key header is not acceptable"
    status = 400


class IdempotencyKeyReused(Invalid):
    code = "idempotency-key-reused"
    title = "The Idempotency-Key was used for another request"


def checked_key(value: str | None) -> str:
    """The key of an Idempotency-Key header ("" when absent); raises IdempotencyKeyInvalid."""
    if value is None:
        return ""
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':  # an RFC 8941 sf-string, as the IETF draft writes it
        key = key[1:-1]
    if not _KEY.match(key):
        raise IdempotencyKeyInvalid(
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters (e.g. a UUID)."
        )
    return key


def body_digest(body: Any) -> str:
    """SHA-256 of a JSON body in one canonical spelling (sorted keys, no spaces)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def run_once(
    *,
    organisation: Organisation,
    scope: str,
    key: str | None,
    body: Any,
    act: Callable[[], tuple[T, uuid.UUID]],
    replay: Callable[[uuid.UUID], T],
) -> tuple[T, bool]:
    """Run ``act`` once per (organisation, scope, key); ``(result, replayed)``.

    Without a key, ``act`` simply runs. With one, the key is claimed in the same transaction as
    ``act``: if ``act`` raises, nothing is kept and the key may be used again. A key already
    used with this body answers ``replay(id of what act made then)``; with another body,
    IdempotencyKeyReused. ``act`` returns its result and the id of what it made.
    """
    checked = checked_key(key)
    if not checked:
        return act()[0], False
    digest = body_digest(body)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a concurrent twin waits here, then fails
                claim = IdempotencyKey.objects.create(
                    organisation=organisation, scope=scope, key=checked, request_digest=digest
                )
        except IntegrityError:
            earlier = IdempotencyKey.objects.get(organisation=organisation, scope=scope, key=checked)
            if earlier.request_digest != digest:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was sent with another body; use a new key for a new request."
                ) from None
            assert earlier.result_id is not None  # set in the transaction that created it
            return replay(earlier.result_id), True
        result, result_id = act()
        claim.result_id = result_id
        claim.save(update_fields=["result_id"])
    return result, False
