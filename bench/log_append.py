"""The log append alone, in process: the CPU one act's append costs, here and in PostgreSQL.

``vault.accesslog.append_all`` of N entries (as a read of N credentials appends them) in its own
transaction, commit included, on a throw-away PostgreSQL database with the production shape
of bench/http_read.py, round-robin over a few pods. It prints, per number of entries, the
median over rounds of this process's CPU time per act (``time.process_time``) and of its
PostgreSQL backend's (from /proc: the server must run on this machine), and the statements
per act. CPU time moves far less than wall time on a machine others load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cv_bench .venv/bin/python bench/log_append.py
    … bench/log_append.py --entries 1,3,10 --acts 300 --rounds 5
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_read  # sets the production shape and sets Django up
from harness import throwaway_database

PODS = 8


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", default="1,3,10", help="entries per act, comma-separated")
    parser.add_argument("--acts", type=int, default=300, help="acts per round and number of entries")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cumulative)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.entries.split(",")]

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Organisation
    from vault import accesslog
    from vault.access import AccessContext
    from vault.models import AccessEvent, Pod

    with throwaway_database():
        http_read.seed(PODS)
        pods = list(Pod.objects.order_by("pk")[:PODS])
        context = AccessContext.for_organisation(Organisation.objects.get(name="Bench Employer"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]

        def act(index: int, size: int) -> None:
            with transaction.atomic():
                accesslog.append_all(
                    pods[index % len(pods)],
                    context=context,
                    entries=[
                        accesslog.Entry(
                            AccessEvent.Action.CREDENTIAL_READ,
                            credential_type="UniversityDegreeCredential",
                            reason="",
                        )
                        for _ in range(size)
                    ],
                )

        statements = {}
        for size in sizes:
            for index in range(30):  # warm: prepared statements, caches
                act(index, size)
            with CaptureQueriesContext(connection) as queries:
                act(0, size)
            statements[size] = len(queries.captured_queries)
        spent: dict[int, list[tuple[float, float]]] = {size: [] for size in sizes}
        for _ in range(args.rounds):
            for size in sizes:  # interleaved, so a change of load falls on every size alike
                cpu, server = time.process_time(), http_read.cpu_seconds(backend) or 0.0
                for index in range(args.acts):
                    act(index, size)
                cpu = time.process_time() - cpu
                server = (http_read.cpu_seconds(backend) or 0.0) - server
                spent[size].append((1000 * cpu / args.acts, 1000 * server / args.acts))
        print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds of {args.acts} acts")
        print("| entries per act | CPU ms per act, app + PostgreSQL (median) | statements |")
        print("| --- | --- | --- |")
        for size in sizes:
            app = statistics.median(a for a, _ in spent[size])
            server = statistics.median(s for _, s in spent[size])
            print(f"| {size} | {app:.2f} + {server:.2f} | {statements[size]} |")
        if args.profile:
            for size in sizes:
                profile = cProfile.Profile()
                profile.runcall(lambda: [act(index, size) for index in range(args.acts)])  # noqa: B023
                print(f"{size} entries per act:")
                pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
