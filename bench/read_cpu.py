"""The read alone, in process: the CPU one consented read (or the citizen's own read) costs.

No HTTP, no token, no rate limit, no rendering: ``consent.services.read_under_grant`` (or
``vault.services.read_own_credentials``) called in a loop on a throw-away PostgreSQL database
seeded as bench/http_read.py seeds it (pods, keys and signed credentials made by the services).
It prints the process's CPU time per read (``time.process_time``, which moves far less than
wall time on a machine others load) and, with --profile, where it went (cProfile).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citizen_vault_bench .venv/bin/python bench/read_cpu.py
    … bench/read_cpu.py --target ten --reads 300 --profile 40
    … bench/read_cpu.py --cryptosuite eddsa-rdfc-2022   # the presentation signed with RDFC-1.0
    … bench/read_cpu.py --target own --workers 2   # two processes reading the one pod at once

With --workers N, N forked processes read at once after the warm-up, as gunicorn's workers do
(own, one-grant and ten: the same pod, so their appends meet on its log head; spread: the pods
round-robin from each worker's own offset). Each prints its CPU per read, how many of its appends
locked the head (``vault.accesslog._locked_head``), how often it made an act's entries and
checkpoint (``_made_on``: twice for a lost compare-and-set) and its statements per read.

Targets: spread (a round-robin over 20 pods with one diploma each, one grant each), one-grant
(every read on the first of those grants), ten (the pod holding 10 diplomas), own (the
citizen's own read of their 3 credentials).
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_read  # sets the production shape and sets Django up
from harness import throwaway_database

PODS = 20


def reader(target: str, cryptosuite: str | None = None):
    """A function reading once, given the read's number."""
    from accounts.models import Organisation
    from consent import services
    from consent.models import Grant
    from vault.models import PodCredential
    from vault.services import read_own_credentials

    if target == "own":
        [owner_pod] = {
            c.pod
            for c in PodCredential.objects.select_related("pod__owner")
            if c.pod.credentials.count() == 3
        }
        return lambda index: read_own_credentials(owner=owner_pod.owner)
    employer = Organisation.objects.get(name="Bench Employer")
    grants = [
        grant
        for grant in Grant.objects.select_related("pod")
        if grant.pod.credentials.count() == (10 if target == "ten" else 1)
    ]
    if target == "one-grant":  # every read on the one grant, as http_read.py's one-grant target
        grants = grants[:1]

    def read(index: int) -> None:
        services.read_under_grant(
            organisation=employer,
            grant_id=grants[index % len(grants)].pk,
            purpose=http_read.HR,
            challenge=f"bench-challenge-{index:08d}",
            domain=http_read.DOMAIN,
            **({"cryptosuite": cryptosuite} if cryptosuite else {}),
        )

    return read


def at_once(read, target: str, reads: int, workers: int) -> None:
    """``workers`` forked processes reading ``reads`` times each, at once; each reports."""
    connections.close_all()  # each process opens its own
    readers, out = os.pipe()
    children = []
    for worker in range(workers):
        child = os.fork()
        if child:
            children.append(child)
            continue
        try:
            os.write(out, one_worker(read, target, reads, worker).encode())
        finally:
            connections.close_all()
            os._exit(0)
    for child in children:
        os.waitpid(child, 0)
    os.close(out)
    with os.fdopen(readers) as lines:
        print(lines.read().rstrip())
    print(f"(load average {os.getloadavg()[0]:.1f})")


def one_worker(read, target: str, reads: int, worker: int) -> str:
    """One forked worker's reads, counted (see --workers); its line of the report."""
    from vault import accesslog

    counts = {"locked": 0, "made": 0}
    locked_head, made_on = accesslog._locked_head, accesslog._made_on

    def counted_lock(*args, **kwargs):
        counts["locked"] += 1
        return locked_head(*args, **kwargs)

    def counted_made(*args, **kwargs):
        counts["made"] += 1
        return made_on(*args, **kwargs)

    accesslog._locked_head, accesslog._made_on = counted_lock, counted_made
    with CaptureQueriesContext(connection) as statements:
        cpu = time.process_time()
        for index in range(reads):
            read(worker * 7 + index)
        cpu = time.process_time() - cpu
    return (
        f"{target} worker {worker}: {1000 * cpu / reads:.2f} ms CPU per read, locked "
        f"{counts['locked']}/{reads}, entries made {counts['made'] / reads:.2f} times a read, "
        f"{len(statements.captured_queries) / reads:.2f} statements a read\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", choices=["spread", "one-grant", "ten", "own"], default="spread")
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cryptosuite", help="the presentation's suite (default: the read's own default)")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cumulative)")
    parser.add_argument("--workers", type=int, default=1, help="forked processes reading at once")
    args = parser.parse_args()
    with throwaway_database():
        http_read.seed(PODS)
        read = reader(args.target, args.cryptosuite)
        for index in range(args.warmup):
            read(index)
        if args.workers > 1:
            at_once(read, args.target, args.reads, args.workers)
            return
        cpu, wall = time.process_time(), time.perf_counter()
        for index in range(args.reads):
            read(index)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{' '.join(filter(None, [args.target, args.cryptosuite]))}: "
            f"{1000 * cpu / args.reads:.2f} ms CPU per read, "
            f"{1000 * wall / args.reads:.2f} ms wall ({args.reads} reads; load average "
            f"{os.getloadavg()[0]:.1f})"
        )
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(lambda: [read(index) for index in range(args.reads)])
            pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
