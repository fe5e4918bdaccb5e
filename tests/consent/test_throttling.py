from datetime import timedelta

from django.utils import timezone
from rest_framework.settings import api_settings

from tests.support import assert_problem


def _file(employer, national_id: str = "BE:85073003328"):
    return employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": national_id},
            "credentialTypes": ["DiplomaCredential"],
            "purpose": "dpv:HumanResourceManagement",
            "purposeDescription": "check",
            "validUntil": (timezone.now() + timedelta(days=3)).isoformat(),
        },
    )


def test_filing_requests_is_rate_limited_per_organisation(employer, other_employer, citizen, monkeypatch):
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "access-requests", "2/hour")
    assert _file(employer).status_code == 201
    assert _file(employer).status_code == 201
    response = _file(employer)
    assert_problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) > 0
    # Listing is not limited by it, and another organisation has its own budget.
    assert employer.get("/api/v1/access-requests").status_code == 200
    assert _file(other_employer).status_code == 201


def test_numbers_with_and_without_a_pod_share_the_limit_and_the_same_429(employer, citizen, monkeypatch):
    """No limit of its own for numbers with no pod: the 429 cannot tell them apart either."""
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "access-requests", "2/hour")
    assert _file(employer, "BE:71020300156").status_code == 201
    assert _file(employer).status_code == 201
    refused = [_file(employer, number) for number in ("BE:85073003328", "BE:71020300156")]
    assert [r.status_code for r in refused] == [429, 429]
    problems = [r.json() for r in refused]
    assert list(problems[0]) == list(problems[1])
    assert [(p["type"], p["status"], p["title"]) for p in problems] == [
        (problems[0]["type"], 429, problems[0]["title"])
    ] * 2
