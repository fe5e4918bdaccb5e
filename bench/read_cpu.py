"""The read alone, in process: the CPU one consented read (or the citizen's own read) costs.

No HTTP, no token, no rate limit, no rendering: ``consent.services.read_under_grant`` (or
``vault.services.read_own_credentials``) called in a loop on a throw-away PostgreSQL database
seeded as bench/http_read.py seeds it (pods, keys and signed credentials made by the services).
It prints the process's CPU time per read (``time.process_time``, which moves far less than
wall time on a machine others load) and, with --profile, where it went (cProfile).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citizen_vault_bench .venv/bin/python bench/read_cpu.py
    … bench/read_cpu.py --target ten --reads 300 --profile 40
    … bench/read_cpu.py --cryptosuite eddsa-rdfc-2022   # the presentation signed with RDFC-1.0

Targets: spread (a round-robin over 20 pods with one diploma each, one grant each), ten (the
pod holding 10 diplomas), own (the citizen's own read of their 3 credentials).
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", choices=["spread", "ten", "own"], default="spread")
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--cryptosuite", help="the presentation's suite (default: the read's own default)")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cumulative)")
    args = parser.parse_args()
    with throwaway_database():
        http_read.seed(PODS)
        read = reader(args.target, args.cryptosuite)
        for index in range(args.warmup):
            read(index)
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
