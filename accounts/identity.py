"""Citizen identifiers: how an organisation names a citizen without us storing the name.

A citizen is found by a keyed hash (HMAC-SHA256) of their normalised national identifier, under
one version of the lookup-hash ring (settings.LOOKUP_HASH_KEY_RING): new digests use the current
version, lookups try every version (the current first). So that the lookup key can change without
anyone presenting every identifier again, the identifier is also kept sealed under the KEK ring
(bound to the user's id), opened only to re-hash it (``manage.py rehash_national_ids``).
"""

import hashlib
import hmac
import re
import uuid
from typing import Any

from django.conf import settings

from core.keyring import SealedColumn, WrappedSecret, keyring

from .errors import InvalidNationalId
from .models import User

_SEPARATORS = re.compile(r"[\s.\-/]")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NUMBER = re.compile(r"^[A-Z0-9]*$")
MIN_NUMBER_CHARS, MAX_NUMBER_CHARS = 4, 32

# What can be wrong with a national identifier, by a short key: the English of the API's problem
# detail (and of a batch line's reason). The console says each in the member's language
# (vault.portal.refusals.NATIONAL_ID_WORDS), found by the key InvalidNationalId carries.
NATIONAL_ID_PROBLEMS = {
    "not-text": "The national identifier must be a string like 'BE:85073003328'.",
    "empty": "The national identifier is empty.",
    "no-country": (
        "The national identifier has no country: give it as COUNTRY:NUMBER, e.g. 'BE:85073003328'."
    ),
    "bad-country": "The country before ':' must be a two-letter code (ISO 3166), e.g. 'BE'.",
    "bad-characters": (
        "The number may hold only letters and digits, separated by spaces, dots, dashes or slashes."
    ),
    "bad-length": (
        f"The number must have {MIN_NUMBER_CHARS} to {MAX_NUMBER_CHARS} letters or digits "
        "(separators not counted)."
    ),
    "not-belgian-shape": (
        "A Belgian national register number has 11 digits (separators not counted), e.g. "
        "'BE:85073003328' or '85.07.30-033.28'."
    ),
    "bad-check-digits": (
        "This Belgian national register number's last two digits do not match the first nine: "
        "a digit is wrong or two are swapped."
    ),
}


def _refused(problem: str) -> InvalidNationalId:
    error = InvalidNationalId(NATIONAL_ID_PROBLEMS[problem])
    error.problem = problem
    return error


def normalise_national_id(value: str, *, default_country: str = "") -> str:
    """'BE:85.07.30-033.28' → 'BE:85073003328': the one normaliser of national identifiers.

    The country prefix (ISO 3166 alpha-2) is required, unless ``default_country`` is given: then
    a number without one ('85.07.30-033.28', as on an identity card and as people type it in the
    console) is that country's. Separators (spaces, dots, dashes, slashes) are dropped, letters
    upper-cased. Raises InvalidNationalId saying what is wrong (its ``problem``, a key of
    NATIONAL_ID_PROBLEMS).
    """
    if not isinstance(value, str):
        raise _refused("not-text")
    text = value.strip().upper()
    if not text:
        raise _refused("empty")
    country, sep, number = text.partition(":")
    if not sep:
        if not default_country:
            raise _refused("no-country")
        country, number = default_country, text
    if not _COUNTRY.match(country.strip()):
        raise _refused("bad-country")
    number = _SEPARATORS.sub("", number)
    if not _NUMBER.match(number):
        raise _refused("bad-characters")
    if not MIN_NUMBER_CHARS <= len(number) <= MAX_NUMBER_CHARS:
        raise _refused("bad-length")
    if country.strip() == "BE":
        _check_belgian(number)
    return f"{country.strip()}:{number}"


def _check_belgian(number: str) -> None:
    """A Belgian national register (or BIS) number: eleven digits, the last two 97 minus the
    first nine modulo 97 (for people born from 2000 on, of those nine with a 2 before them)."""
    if len(number) != 11 or not number.isdigit():
        raise _refused("not-belgian-shape")
    if int(number[9:]) not in (97 - int(number[:9]) % 97, 97 - int("2" + number[:9]) % 97):
        raise _refused("bad-check-digits")


def belgian_number(first_nine: str) -> str:
    """The Belgian national register number of these first nine digits (birth date and serial),
    with its check digits, for someone born before 2000: 'BE:' and eleven digits. For seeding
    demonstrations and tests."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("Give the first nine digits of the number.")
    return f"BE:{first_nine}{97 - int(first_nine) % 97:02d}"


def with_default_country(value: str, country: str = "BE") -> str:
    """What a person typed in a form ("85.07.30-033.28"), with the country prefix normalise_national_id
    requires when it has none: the console's forms are for Belgian register numbers first."""
    value = value.strip()
    return value if ":" in value else f"{country}:{value}"


def shown_national_id(value: str) -> str:
    """A national identifier as the portal writes it: a Belgian register number the Belgian way,
    without its country ('BE:85073003328' → '85.07.30-033.28'); another country's normalised, with
    its own ('NL:123456782'); one that cannot be normalised as it was given."""
    try:
        normalised = normalise_national_id(value)
    except InvalidNationalId:
        return value.strip() if isinstance(value, str) else ""
    country, _, number = normalised.partition(":")
    if country == "BE":  # eleven digits: normalise_national_id checked them
        return f"{number[0:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:11]}"
    return normalised


def current_lookup_version() -> str:
    return str(settings.LOOKUP_HASH_KEY_VERSION)


def lookup_versions() -> list[str]:
    """Every version of the lookup-hash ring, the current one first."""
    current = current_lookup_version()
    return [current, *(version for version in settings.LOOKUP_HASH_KEY_RING if version != current)]


def national_id_digest(value: str, *, version: str | None = None) -> str:
    """Keyed hash (HMAC-SHA256 under the lookup-hash key ``version``, by default the current one)
    of a normalised national identifier. Raises InvalidNationalId for a malformed one."""
    key = settings.LOOKUP_HASH_KEY_RING[version or current_lookup_version()].encode()
    return hmac.new(key, normalise_national_id(value).encode(), hashlib.sha256).hexdigest()


def national_id_digests(value: str) -> list[str]:
    """The identifier's digest under every version of the ring, the current one first."""
    return [national_id_digest(value, version=version) for version in lookup_versions()]


def _national_id_aad(user_id: uuid.UUID) -> bytes:
    return f"citizen-vault/national-id/v1|user:{user_id}".encode()


def seal_national_id(user_id: uuid.UUID, value: str) -> WrappedSecret:
    """The normalised identifier, wrapped by the KEK ring and bound to the user."""
    return keyring().wrap(normalise_national_id(value).encode(), aad=_national_id_aad(user_id))


def unseal_national_id(user: Any) -> str:
    """The identifier sealed in ``user``; raises core.keyring.DecryptionError."""
    return keyring().unwrap(NATIONAL_IDS.wrapped(user), aad=_national_id_aad(user.pk)).decode()


def _user_aad(user: Any) -> bytes:
    return _national_id_aad(user.pk)


# The sealed identifiers join KEK rotation (vault.keyrotation.kek_sealed_columns).
NATIONAL_IDS = SealedColumn(
    label="national identifiers",
    model=User,
    kek_field="national_id_kek_id",
    sealed_field="national_id_sealed",
    aad=_user_aad,
)
