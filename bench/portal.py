"""Benchmark: server time of each citizen portal page for a large pod.

One citizen holds 200 credentials (diplomas from four universities, a tenth of them revoked or
suspended) and a log of 10,000 entries (reads by five employers under grants, spread over a
year, refused attempts among them). Each page is requested through the whole Django stack
in-process (django.test.Client: middleware, session, locale, CSRF, the view, the template), logged
in as the citizen, in Dutch, and timed (setup_test_environment's template instrumentation
included, as in the test suite); the login page (no pod data, one form) is the ceiling of
the same run. Figures are printed, not asserted; the issue's target is 100 ms per page.

    DEBUG=1 .venv/bin/python bench/portal.py                       # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cv_bench DEBUG=1 .venv/bin/python bench/portal.py

Options: --requests N (per page, default 20), --credentials N (200), --entries N (10000),
--profile PAGE (cProfile of one request of the page whose name contains PAGE), --explain PAGE
(PostgreSQL's EXPLAIN ANALYZE of each SELECT one request of PAGE makes). Each page's SQL
statements are counted on one request besides the timed ones (a figure the machine's load does
not change), and the load average is printed.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from harness import throwaway_database  # noqa: E402

from config.celery import app  # noqa: E402

NATIONAL_ID = "BE:00000000097"
PASSWORD = "bench password, not a secret"


def seed(credentials: int, entries: int) -> dict[str, str]:
    from accounts.models import Organisation
    from accounts.services import create_organisation
    from consent.management.commands.seed_demo import DEMO_DIPLOMA
    from consent.services import approve_request, file_access_request
    from credentials.services import accredit_issuer, create_issuer_key, update_status
    from vault import accesslog
    from vault.access import AccessContext
    from vault.models import AccessEvent, PodCredential
    from vault.services import create_citizen, issue_into_pod

    pod = create_citizen(email="bench@example.org", national_id=NATIONAL_ID, password=PASSWORD)
    universities = []
    for n in range(4):
        university = create_organisation(name=f"Bench University {n}", kind=Organisation.Kind.ISSUER)
        create_issuer_key(organisation=university)
        accredit_issuer(
            organisation=university,
            credential_type="DiplomaCredential",
            valid_from=timezone.now() - timedelta(days=3650),
        )
        universities.append(university)
    for n in range(credentials):
        diploma = {
            **DEMO_DIPLOMA,
            "credentialSubject": {
                **DEMO_DIPLOMA["credentialSubject"],
                "degree": {"type": "MasterDegree", "name": f"Master of Bench Studies {n}"},
            },
        }
        university = universities[n % len(universities)]
        _, signed = issue_into_pod(issuer=university, national_id=NATIONAL_ID, credential=diploma)
        if n % 10 == 0:
            update_status(issuer=university, credential_id=signed["id"], purposes=["revocation"], value=True)
        elif n % 10 == 1:
            update_status(issuer=university, credential_id=signed["id"], purposes=["suspension"], value=True)

    employers = [
        create_organisation(name=f"Bench Employer {n}", kind=Organisation.Kind.EMPLOYER) for n in range(5)
    ]
    grants = []
    for employer in employers:
        request = file_access_request(
            requester=employer,
            national_id=NATIONAL_ID,
            credential_types=["DiplomaCredential"],
            purpose="dpv:HumanResourceManagement",
            purpose_description="benchmark",
            valid_until=timezone.now() + timedelta(days=30),
        )
        grants.append(approve_request(citizen=pod.owner, request_id=request.pk))
    pending = file_access_request(
        requester=employers[0],
        national_id=NATIONAL_ID,
        credential_types=["DiplomaCredential"],
        purpose="dpv:HumanResourceManagement",
        purpose_description="benchmark, waiting",
        valid_until=timezone.now() + timedelta(days=30),
    )

    # The log: reads by the employers under their grants, appended through the real append (hash
    # chain, Merkle tree, a signed checkpoint per batch) with the clock set back so the entries
    # spread over the past year; every twentieth a refused attempt.
    resources = list(PodCredential.objects.filter(pod=pod))
    start = timezone.now() - timedelta(days=365)
    written = AccessEvent.objects.filter(pod=pod).count()
    batch, i = 50, 0
    while written < entries:
        employer, grant = employers[i % len(employers)], grants[i % len(grants)]
        moment = start + timedelta(days=365 * written / entries)
        context = AccessContext.for_organisation(employer, purpose=grant.purpose, grant_id=grant.pk)
        size = min(batch, entries - written)
        denied = i % 20 == 19
        log_entries = [
            accesslog.Entry(
                AccessEvent.Action.ACCESS_DENIED if denied else AccessEvent.Action.CREDENTIAL_READ,
                outcome=AccessEvent.Outcome.DENIED if denied else AccessEvent.Outcome.ALLOWED,
                resource=resources[(written + k) % len(resources)],
                reason="grant-expired" if denied else "",
            )
            for k in range(size)
        ]
        with mock.patch("vault.accesslog.timezone.now", return_value=moment), transaction.atomic():
            accesslog.append_all(pod, context=context, entries=log_entries)
        written += size
        i += 1
    some = resources[len(resources) // 2]
    return {
        "credential": str(some.pk),
        "grant": str(grants[0].pk),
        "pending": str(pending.pk),
        "employer": str(employers[1].pk),
        "entries": str(AccessEvent.objects.filter(pod=pod).count()),
    }


def measure(client: Client, path: str, requests: int) -> dict[str, float]:
    client.get(path, HTTP_ACCEPT_LANGUAGE="nl-BE")  # warm up (template loading, caches)
    reset_queries()  # the log of statements holds 9,000 at most: seeding filled it
    with CaptureQueriesContext(connection) as queries:  # one request's SQL statements, not timed
        client.get(path, HTTP_ACCEPT_LANGUAGE="nl-BE")
    statements = len(queries)  # now: the next request empties the log it reads
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="nl-BE")
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "max_ms": latencies[-1] * 1000,
        "queries": statements,
    }


def time_check(requests: int) -> dict[str, float]:
    """The background check's own time: vault.accesslog.verify_chain over the whole log."""
    from vault import accesslog
    from vault.models import Pod

    pod = Pod.objects.get(owner__email="bench@example.org")
    with CaptureQueriesContext(connection) as queries:
        assert accesslog.verify_chain(pod).valid
    latencies = []
    for _ in range(max(3, requests // 3)):
        t0 = time.perf_counter()
        accesslog.verify_chain(pod)
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "max_ms": latencies[-1] * 1000,
        "queries": len(queries),
    }


def explain(client: Client, path: str) -> None:
    """EXPLAIN ANALYZE each read-only SELECT of one request of ``path`` (PostgreSQL)."""
    with CaptureQueriesContext(connection) as queries:
        client.get(path, HTTP_ACCEPT_LANGUAGE="nl-BE")
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or "FOR UPDATE" in sql or "FOR NO KEY UPDATE" in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            print(sql[:300], *(row[0] for row in cursor.fetchall()), "", sep="\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--credentials", type=int, default=200)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument(
        "--profile", metavar="PAGE", help="also print where one request of PAGE spends its time"
    )
    parser.add_argument(
        "--explain", metavar="PAGE", help="also print the plan of each SELECT one request of PAGE makes"
    )
    args = parser.parse_args()

    with throwaway_database():
        seeding = time.perf_counter()
        ids = seed(args.credentials, args.entries)
        if connection.vendor == "postgresql":  # the planner's statistics, as autovacuum keeps them
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        seeding = time.perf_counter() - seeding
        anonymous = Client()
        ceiling = measure(anonymous, "/portal/login/", args.requests)
        client = Client()
        assert client.login(username="bench@example.org", password=PASSWORD)
        pages = {
            "credentials (first page of 20, opened)": "/portal/",
            "credentials (last page)": f"/portal/?page={(args.credentials + 19) // 20}",
            "one credential (verified in full)": f"/portal/credentials/{ids['credential']}",
            "its QR code": f"/portal/credentials/{ids['credential']}/qr",
            "requests": "/portal/requests",
            "deny confirmation": f"/portal/requests/{ids['pending']}/deny",
            "who may read": "/portal/grants",
            "revoke confirmation": f"/portal/grants/{ids['grant']}/revoke",
            "who looked (first page, chart)": "/portal/log",
            "who looked, filtered": f"/portal/log?who={ids['employer']}&outcome=allowed&since=2000-01-01",
            "the log's check, its result page": "/portal/log/check",
        }
        # The check itself runs in a task (eager here, as in the demo): asked for once, then
        # timed on its own below, since no page waits for it any more.
        app.conf.task_always_eager = True
        assert client.post("/portal/log/check").status_code == 302
        results = {name: measure(client, path, args.requests) for name, path in pages.items()}
        results[f"the whole log checked ({args.entries:,} entries, task)"] = time_check(args.requests)
        if args.profile:
            import cProfile
            import pstats

            path = next((path for name, path in pages.items() if args.profile in name), "")
            profiler = cProfile.Profile()
            if args.profile in "the whole log checked":
                from vault import accesslog
                from vault.models import Pod

                pod = Pod.objects.get(owner__email="bench@example.org")
                profiler.runcall(accesslog.verify_chain, pod)
            else:
                profiler.runcall(client.get, path, HTTP_ACCEPT_LANGUAGE="nl-BE")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        if args.explain:
            explain(client, next(path for name, path in pages.items() if args.explain in name))

    print(
        f"database: {connection.vendor}; pod: {args.credentials} credentials, {ids['entries']} log entries "
        f"(seeded in {seeding:.0f} s); {args.requests} requests per page, in-process client, nl-BE"
    )
    print(f"load average at the end: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")
    print(f"{'page':<42}{'p50 ms':>9}{'max ms':>9}{'queries':>9}  target 100 ms")
    print(
        f"{'ceiling: login page (no pod data)':<42}{ceiling['p50_ms']:>9.1f}{ceiling['max_ms']:>9.1f}"
        f"{ceiling['queries']:>9}"
    )
    for name, figures in results.items():
        verdict = "met" if figures["p50_ms"] < 100 else "NOT met"
        print(
            f"{name:<42}{figures['p50_ms']:>9.1f}{figures['max_ms']:>9.1f}{figures['queries']:>9}  {verdict}"
        )


if __name__ == "__main__":
    main()
