from datetime import timedelta

from django.utils import timezone
from rest_framework.settings import api_settings

from tests.support import assert_problem


def _file(employer):
    return employer.post(
        "/api/v1/access-requests",
        {
            "citizen": {"nationalId": "BE:85073003328"},
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
