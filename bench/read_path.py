"""Benchmark: the employer's read under a grant, next to a bare authenticated endpoint.

Both go through the full Django + DRF stack in-process (django.test.Client: middleware, token
authentication, permissions, serialisation), on the same database, in the same run:
- ceiling: GET /api/v1/whoami (authentication and a tiny response, nothing else);
- read:    GET /api/v1/grants/<id>/credentials (authentication, grant lookup and lock, the
           decision, unwrap the pod key, decrypt, sign a verifiable presentation with the
           holder's key (eddsa-rdfc-2022), one hash-chained log append, serialise).
It prints requests per second and p50/p99 latency for each, and their ratio.

    make bench                                  # SQLite (the quick-start database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citizen_vault make bench

Options: --requests N (default 1000), --warmup N (default 50).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["THROTTLE_USER"] = "100000000/minute"  # measure the path, not the rate limiter
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from harness import throwaway_database  # noqa: E402


def seed() -> tuple[str, str]:
    from accounts.models import Organisation
    from accounts.services import create_organisation, issue_api_token
    from consent.management.commands.seed_demo import DEMO_DIPLOMA
    from consent.services import approve_request, file_access_request
    from credentials.services import create_issuer_key
    from vault.services import create_citizen, issue_into_pod

    university = create_organisation(name="Bench University", kind=Organisation.Kind.ISSUER)
    create_issuer_key(organisation=university)
    employer = create_organisation(name="Bench Employer", kind=Organisation.Kind.EMPLOYER)
    pod = create_citizen(email="bench@example.org", national_id="BE:00000000097")
    issue_into_pod(issuer=university, national_id="BE:00000000097", credential=DEMO_DIPLOMA)
    request = file_access_request(
        requester=employer,
        national_id="BE:00000000097",
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="benchmark",
        valid_until=timezone.now() + timedelta(days=30),
    )
    grant = approve_request(citizen=pod.owner, request_id=request.pk)
    return issue_api_token(organisation=employer)[1], str(grant.pk)


def measure(client: Client, path: str, token: str, requests: int, warmup: int) -> dict[str, float]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for _ in range(warmup):
        assert client.get(path, **headers).status_code == 200
    latencies = []
    started = time.perf_counter()
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(path, **headers)
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()

    with throwaway_database():
        token, grant_id = seed()
        client = Client()
        bare = measure(client, "/api/v1/whoami", token, args.requests, args.warmup)
        read_path = (
            f"/api/v1/grants/{grant_id}/credentials?purpose=dpv:HumanResourceManagement"
            "&challenge=bench-challenge-0001&domain=https://hr.bench.example"
        )
        read = measure(client, read_path, token, args.requests, args.warmup)

    print(f"database: {connection.vendor}, requests per endpoint: {args.requests}, in-process client")
    print(f"{'endpoint':<44}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name, figures in (
        ("bare authenticated (GET /api/v1/whoami)", bare),
        ("employer read under grant", read),
    ):
        print(f"{name:<44}{figures['rps']:>9.0f}{figures['p50_ms']:>9.2f}{figures['p99_ms']:>9.2f}")
    print(f"read / bare throughput ratio: {read['rps'] / bare['rps']:.2f}")


if __name__ == "__main__":
    main()
