"""Citizen identifiers: how an organisation names a citizen without us storing the name."""

import hashlib
import hmac
import re

from django.conf import settings

from .errors import InvalidNationalId

_SEPARATORS = re.compile(r"[\s.\-/]")
_VALID = re.compile(r"^[A-Z]{2}:[A-Z0-9]{4,32}$")


def normalise_national_id(value: str) -> str:
    """'BE:85.07.30-033.28' → 'BE:85073003328'. The country prefix (ISO 3166 alpha-2) is required.

    Raises InvalidNationalId when the shape is wrong.
    """
    if not isinstance(value, str):
        raise InvalidNationalId("The national identifier must be a string like 'BE:85073003328'.")
    country, sep, number = value.strip().upper().partition(":")
    normalised = f"{country}:{_SEPARATORS.sub('', number)}"
    if not sep or not _VALID.match(normalised):
        raise InvalidNationalId(
            "Give the national identifier as COUNTRY:NUMBER, e.g. 'BE:85073003328' "
            "(two-letter country code, then 4 to 32 letters or digits)."
        )
    return normalised


def national_id_digest(value: str) -> str:
    """Keyed hash (HMAC-SHA256 under LOOKUP_HASH_KEY) of a normalised national identifier."""
    key = settings.LOOKUP_HASH_KEY.encode()
    return hmac.new(key, normalise_national_id(value).encode(), hashlib.sha256).hexdigest()
