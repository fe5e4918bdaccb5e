"""The lookup-hash ring: national identifiers found under every version, re-hashed to the current."""

import ast
import hashlib
import hmac
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.checks import every_lookup_hash_version_in_use_is_in_the_ring
from accounts.identity import national_id_digest, unseal_national_id
from accounts.models import User
from accounts.selectors import citizen_by_national_id, lookup_hash_usage
from config.startup import refuse_to_start_without_keys_in_use
from tests.conftest import diploma
from vault.services import issue_into_pod

NATIONAL_ID = "BE:85073003328"
SECOND = "second lookup key, at least thirty-two characters long"


@pytest.fixture
def second_version(settings):
    """The ring after an operator added version 2 and made it current, keeping version 1."""
    settings.LOOKUP_HASH_KEY_RING = {"2": SECOND, **settings.LOOKUP_HASH_KEY_RING}
    settings.LOOKUP_HASH_KEY_VERSION = "2"


def stored(citizen) -> User:
    return User.objects.get(pk=citizen.user.pk)


def test_the_single_lookup_key_is_version_1_and_the_identifier_is_kept_sealed(citizen, settings):
    user = stored(citizen)
    assert user.national_id_hash_version == "1"
    expected = hmac.new(settings.LOOKUP_HASH_KEY.encode(), NATIONAL_ID.encode(), hashlib.sha256).hexdigest()
    assert user.national_id_digest == expected
    assert NATIONAL_ID.encode() not in bytes(user.national_id_sealed)
    assert unseal_national_id(user) == NATIONAL_ID


def test_a_citizen_hashed_under_an_older_version_is_still_found(citizen, second_version):
    assert citizen_by_national_id("BE:85.07.30-033.28") == citizen.user


def test_new_citizens_are_hashed_under_the_current_version(second_version, db):
    from vault.services import create_citizen

    pod = create_citizen(email="new@example.org", national_id="BE:90020199902")
    user = User.objects.get(pk=pod.owner_id)
    assert user.national_id_hash_version == "2"
    assert user.national_id_digest == national_id_digest("BE:90020199902", version="2")


def test_rehash_moves_every_citizen_to_the_current_version_and_they_are_found_without_the_old_key(
    citizen, other_citizen, second_version, settings
):
    out = io.StringIO()
    call_command("rehash_national_ids", "--batch-size", "1", stdout=out)
    assert "2 re-hashed under version '2'" in out.getvalue()
    assert lookup_hash_usage() == {"2": {"citizens": 2, "unsealed": 0}}

    settings.LOOKUP_HASH_KEY_RING = {"2": SECOND}  # version 1 dropped
    assert every_lookup_hash_version_in_use_is_in_the_ring() == []
    assert citizen_by_national_id(NATIONAL_ID) == citizen.user
    assert stored(citizen).national_id_digest == national_id_digest(NATIONAL_ID)


def test_a_second_rehash_changes_nothing(citizen, second_version):
    call_command("rehash_national_ids", stdout=io.StringIO())
    before = stored(citizen).national_id_digest
    out = io.StringIO()
    call_command("rehash_national_ids", stdout=out)
    assert "Done: 0 re-hashed." in out.getvalue()
    assert stored(citizen).national_id_digest == before


def test_dropping_a_version_still_in_use_is_refused_at_start_up(citizen, settings):
    settings.LOOKUP_HASH_KEY_RING = {"2": SECOND}
    settings.LOOKUP_HASH_KEY_VERSION = "2"
    errors = every_lookup_hash_version_in_use_is_in_the_ring()
    assert [error.id for error in errors] == ["accounts.E001"]
    assert "Lookup-hash version '1' is not in LOOKUP_HASH_KEYS but 1 citizens" in errors[0].msg
    with pytest.raises(ImproperlyConfigured, match="rehash_national_ids"):
        refuse_to_start_without_keys_in_use()


def test_a_citizen_registered_before_identifiers_were_sealed_moves_when_an_issuer_names_them(
    university, citizen, second_version
):
    User.objects.filter(pk=citizen.user.pk).update(national_id_kek_id="", national_id_sealed=None)
    out = io.StringIO()
    call_command("rehash_national_ids", stdout=out)
    assert "1 with no sealed identifier" in out.getvalue()
    assert stored(citizen).national_id_hash_version == "1"

    issue_into_pod(issuer=university.organisation, national_id=NATIONAL_ID, credential=diploma())

    user = stored(citizen)
    assert user.national_id_hash_version == "2"
    assert unseal_national_id(user) == NATIONAL_ID


def test_settings_read_the_ring_and_keep_the_single_key_as_version_1():
    from tests.config.test_settings import production_settings

    def loaded(**environment: str) -> tuple[str, list[str], bool]:
        result = production_settings(
            "LOOKUP_HASH_KEY_VERSION", "LOOKUP_HASH_KEY_RING", "LOOKUP_HASH_KEY", **environment
        )
        assert result.returncode == 0, result.stderr
        version, ring, key = (ast.literal_eval(line) for line in result.stdout.splitlines())
        return version, list(ring), key == ring[version]

    assert loaded() == ("1", ["1"], True)
    assert loaded(LOOKUP_HASH_KEYS=f"2:{'b' * 64},1:{'a' * 64}") == ("2", ["2", "1"], True)
    assert loaded(LOOKUP_HASH_KEYS=f"2:{'b' * 64},1:{'a' * 64}", LOOKUP_HASH_KEY_VERSION="1") == (
        "1",
        ["2", "1"],
        True,
    )

    short = production_settings("LOOKUP_HASH_KEY_VERSION", LOOKUP_HASH_KEYS="2:short")
    assert short.returncode != 0 and "at least 32 characters" in short.stderr
    absent = production_settings(
        "LOOKUP_HASH_KEY_VERSION", LOOKUP_HASH_KEYS=f"2:{'b' * 64}", LOOKUP_HASH_KEY_VERSION="3"
    )
    assert absent.returncode != 0 and "'3' is not in LOOKUP_HASH_KEYS" in absent.stderr
