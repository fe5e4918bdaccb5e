"""Rate limits fail open, logged, when their cache (Redis) cannot be reached.

The cache is a real Redis client pointed at a port nothing listens on: what production meets
when Redis is down, not a mock of it.
"""

import logging
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

import core.throttling
from core.throttling import CacheOutageLog
from tests.conftest import diploma

AN = "BE:85073003328"


def closed_port() -> int:
    """A local port that nothing listens on (bound by the kernel, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }


@pytest.fixture
def outage_log(monkeypatch):
    """A fresh outage record, so an outage met by an earlier test does not hide this one's warning."""
    log = CacheOutageLog()
    monkeypatch.setattr(core.throttling, "cache_outage", log)
    return log


def outage_warnings(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "core.throttling" and r.levelno == logging.WARNING and "Cache unreachable" in r.message
    ]


def test_with_redis_down_reads_and_writes_still_answer(
    redis_down, outage_log, university, citizen, employer, caplog
):
    caplog.set_level(logging.INFO, logger="core.throttling")
    issued = university.post(
        "/api/v1/issuer/credentials", {"recipient": {"nationalId": AN}, "credential": diploma()}
    )
    assert issued.status_code == 201, issued.content
    filed = employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": AN},
            "credentialTypes": ["DiplomaCredential"],
            "purpose": "dpv:HumanResourceManagement",
            "purposeDescription": "Checking the degree.",
            "validUntil": (timezone.now() + timedelta(days=30)).isoformat(),
        },
    )
    assert filed.status_code == 201, filed.content
    listed = citizen.get("/api/v1/pod/credentials")
    assert listed.status_code == 200, listed.content
    assert len(listed.json()) == 1

    warnings = outage_warnings(caplog)
    assert len(warnings) == 1  # one warning for the outage, not one per request
    assert "ConnectionError" in warnings[0].message


def test_with_redis_down_the_public_verifier_still_answers(redis_down, outage_log, caplog):
    """Anonymous and scoped throttles (POST /credentials/verify) fail open too."""
    caplog.set_level(logging.WARNING, logger="core.throttling")
    response = APIClient().post("/credentials/verify", {"verifiableCredential": {}}, format="json")
    assert response.status_code < 500, response.content
    assert response.status_code != 429
    assert outage_warnings(caplog)


def test_the_end_of_an_outage_is_logged_and_limits_apply_again(settings, outage_log, citizen, caplog):
    caplog.set_level(logging.INFO, logger="core.throttling")
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    assert citizen.get("/api/v1/pod").status_code == 200
    settings.CACHES = working
    assert citizen.get("/api/v1/pod").status_code == 200
    assert [r.levelname for r in caplog.records if r.name == "core.throttling"] == ["WARNING", "INFO"]
    assert "answers again" in caplog.records[-1].message


# --- windows ------------------------------------------------------------------------------------


def _limited(monkeypatch, rate: str):
    """The user throttle at ``rate``, on a clock the test moves (``clock[0]``, seconds)."""
    from rest_framework.throttling import UserRateThrottle as DrfUserRateThrottle

    monkeypatch.setattr(
        DrfUserRateThrottle, "THROTTLE_RATES", {**DrfUserRateThrottle.THROTTLE_RATES, "user": rate}
    )
    clock = [6_000_000.0]  # the start of a minute
    monkeypatch.setattr(core.throttling.UserRateThrottle, "timer", lambda self: clock[0])
    return clock


def test_a_client_gets_its_budget_and_then_a_429_until_the_estimate_leaves_room(citizen, monkeypatch):
    clock = _limited(monkeypatch, "3/minute")
    clock[0] += 15
    assert [citizen.get("/api/v1/pod").status_code for _ in range(3)] == [200, 200, 200]
    refused = citizen.get("/api/v1/pod")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 45  # the rest of this minute, at least
    clock[0] += 45  # the next minute: the last one's 3 requests still weigh fully
    refused = citizen.get("/api/v1/pod")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 20  # when they weigh 2 (40 of their 60 s left)
    clock[0] += 19
    assert citizen.get("/api/v1/pod").status_code == 429
    clock[0] += 1
    assert citizen.get("/api/v1/pod").status_code == 200


def test_a_budget_cannot_be_spent_twice_across_a_window_s_edge(citizen, monkeypatch):
    """A fixed window would allow 2 at 59.5 s and 2 more at 60.5 s: 4 in one second."""
    clock = _limited(monkeypatch, "2/minute")
    clock[0] += 59.5
    assert [citizen.get("/api/v1/pod").status_code for _ in range(2)] == [200, 200]
    clock[0] += 1
    assert citizen.get("/api/v1/pod").status_code == 429


def test_refused_requests_do_not_count(citizen, monkeypatch):
    clock = _limited(monkeypatch, "2/minute")
    assert [citizen.get("/api/v1/pod").status_code for _ in range(2)] == [200, 200]
    assert [citizen.get("/api/v1/pod").status_code for _ in range(5)] == [429] * 5
    clock[0] += 60 + 30  # the 2 now weigh 1: room for exactly one
    assert [citizen.get("/api/v1/pod").status_code for _ in range(2)] == [200, 429]


def test_each_client_has_its_own_budget(citizen, employer, monkeypatch):
    _limited(monkeypatch, "1/minute")
    assert citizen.get("/api/v1/pod").status_code == 200
    assert citizen.get("/api/v1/pod").status_code == 429
    assert employer.get("/api/v1/access-requests").status_code == 200


@pytest.mark.services
def test_on_redis_a_window_is_one_expiring_integer(citizen, settings, monkeypatch):
    """One counter per client and window, kept through the next window (not a list of timestamps)."""
    import redis
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": __import__("os").environ["REDIS_URL"],
        }
    }
    cache.clear()
    clock = _limited(monkeypatch, "5/minute")
    for _ in range(3):
        assert citizen.get("/api/v1/pod").status_code == 200
    server = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    window = f":w{int(clock[0] // 60)}".encode()
    keys = [key for key in server.keys("*throttle_user_*") if key.endswith(window)]
    assert len(keys) == 1
    assert int(server.get(keys[0])) == 3
    assert 60 < server.ttl(keys[0]) <= 121
    cache.clear()


@pytest.mark.services
def test_on_redis_the_limit_counts_through_one_kept_client_and_still_refuses(citizen, settings, monkeypatch):
    """Django's RedisCache makes a redis-py client per call; the rate limit keeps its own, and a
    client is made again for a new cache (a settings change), not reused across caches."""
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCacheClient

    location = __import__("os").environ["REDIS_URL"]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }
    cache.clear()
    made = []
    get_client = RedisCacheClient.get_client

    def counted(self, *args, **kwargs):
        made.append(self)
        return get_client(self, *args, **kwargs)

    monkeypatch.setattr(RedisCacheClient, "get_client", counted)
    _limited(monkeypatch, "2/minute")
    assert [citizen.get("/api/v1/pod").status_code for _ in range(4)] == [200, 200, 429, 429]
    assert len(made) == 1
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "b",
        }
    }
    assert citizen.get("/api/v1/pod").status_code == 200  # another cache, its own counters
    assert len(made) == 2 and made[0] is not made[1]
    cache.clear()
