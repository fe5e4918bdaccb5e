"""The failure budget shared by password logins and OAuth client authentication."""

import pytest
from django.test import RequestFactory

from accounts.throttling import ADDRESS_FACTOR, FailureBudget, client_address

# tests/conftest.py empties the cache before every test.


def test_an_account_is_exhausted_after_the_limit_from_that_address_only(settings):
    settings.LOGIN_MAX_FAILURES = 3
    here = FailureBudget(scope="portal-login", who="an@example.org", address="203.0.113.9")
    for _ in range(2):
        here.record_failure()
    assert not here.exhausted()
    here.record_failure()
    assert here.exhausted()
    assert not FailureBudget(scope="portal-login", who="an@example.org", address="198.51.100.7").exhausted()


def test_scopes_keep_budgets_apart(settings):
    settings.LOGIN_MAX_FAILURES = 1
    FailureBudget(scope="oauth-client", who="cvc_x", address="203.0.113.9").record_failure()
    assert FailureBudget(scope="oauth-client", who="cvc_x", address="203.0.113.9").exhausted()
    assert not FailureBudget(scope="portal-login", who="cvc_x", address="203.0.113.9").exhausted()


def test_an_address_spraying_many_accounts_is_exhausted_for_all(settings):
    settings.LOGIN_MAX_FAILURES = 2
    for i in range(2 * ADDRESS_FACTOR):
        FailureBudget(scope="portal-login", who=f"guess{i}", address="203.0.113.9").record_failure()
    assert FailureBudget(scope="portal-login", who="never-tried", address="203.0.113.9").exhausted()


def test_a_success_forgives_the_account_but_not_the_address(settings):
    settings.LOGIN_MAX_FAILURES = 2
    for i in range(2 * ADDRESS_FACTOR - 1):
        FailureBudget(scope="portal-login", who=f"guess{i}", address="203.0.113.9").record_failure()
    budget = FailureBudget(scope="portal-login", who="guess0", address="203.0.113.9")
    budget.record_failure()
    budget.record_success()
    assert FailureBudget(scope="portal-login", who="another", address="203.0.113.9").exhausted()


@pytest.mark.parametrize("who", ["\x00", "é" * 500, "a b\nc", ""])
def test_any_text_may_name_the_account(settings, who):
    settings.LOGIN_MAX_FAILURES = 1
    budget = FailureBudget(scope="oauth-client", who=who, address="203.0.113.9")
    budget.record_failure()
    assert budget.exhausted()


def test_with_the_cache_down_the_brake_is_off_not_the_door_shut(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1",
        }
    }
    budget = FailureBudget(scope="portal-login", who="an@example.org", address="203.0.113.9")
    budget.record_failure()
    budget.record_success()
    assert not budget.exhausted()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "203.0.113.9"),  # no trusted proxy: the header is the client's word
        (1, "10.0.0.1, 198.51.100.7", "198.51.100.7"),
        (2, "10.0.0.1, 198.51.100.7", "10.0.0.1"),
        (3, "198.51.100.7", "198.51.100.7"),
    ],
)
def test_the_client_address_is_what_the_trusted_proxies_report(settings, proxies, forwarded, expected):
    settings.NUM_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
