"""Benchmark: does one citizen's log stay as fast when the whole access log grows 10⁴-fold?

At each total size (default 10³, 10⁵ and 10⁷ entries in vault_accessevent) it measures, on the
same throw-away database, for one pod of typical size:
- append: ``vault.accesslog.append`` in its own transaction, commit included (the real path:
  lock the pod's head, insert, Merkle frontier, one Ed25519 checkpoint signature, update head);
- page:   the first page of 50 of ``vault.selectors.access_log(pod)``, as the API and the portal
  page it (Django's Paginator: COUNT of the pod's entries, then LIMIT 50, rows to models).
and prints median and p95 per size side by side, with the ratios to the smallest size.

The background entries are generated in bulk in SQL (INSERT … SELECT, not through the API):
pods of ``--pod-size`` entries each (default 100, a citizen with a few credentials and a few
years of reads), written round-robin (entry 1 of every pod, then entry 2, …) so one pod's entries
are scattered over the table as they are in production. Their hashes look valid (64 hex digits)
but do not verify; the measured pod is built through the real append and does verify. After each
fill: VACUUM ANALYZE, as autovacuum would have. Caches are warm (warm-up rounds before timing).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cv_logbench .venv/bin/python bench/log_scale.py

Options: --sizes 1000,100000,10000000  --samples N (default 300)  --pod-size N (default 100);
--one-table measures the log unpartitioned (as before migration vault.0010), for comparison.
On SQLite (no DATABASE_URL) the default sizes stop at 10⁵. The 10⁷ fill writes about 7 GB and
takes minutes (docs/benchmarks.md records how long); the database is dropped at the end.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from harness import throwaway_database  # noqa: E402

FILL_BATCH_PODS = 20_000  # pods made per bulk round (users, pods, heads)


def make_pods(tag: str, count: int) -> None:
    """``count`` bare pods (owner, sealed-key placeholders, log head) tagged ``tag``."""
    from accounts.models import User
    from vault.models import Pod, PodLog

    for start in range(0, count, FILL_BATCH_PODS):
        batch = range(start, min(count, start + FILL_BATCH_PODS))
        users = User.objects.bulk_create(
            [User(id=uuid.uuid4(), username=f"{tag}-{i}", email=f"{tag}-{i}@bench.invalid") for i in batch],
            batch_size=5000,
        )
        pods = Pod.objects.bulk_create(
            [
                Pod(
                    id=uuid.uuid4(),
                    owner=user,
                    kek_id="bench",
                    data_key_sealed=b"\0" * 60,
                    holder_did=f"did:bench:{tag}:{i}",
                    holder_key_sealed=b"\0" * 60,
                )
                for i, user in zip(batch, users, strict=True)
            ],
            batch_size=5000,
        )
        PodLog.objects.bulk_create(
            [PodLog(pod=pod, origin=f"bench/{pod.pk}", head_hash="0" * 64) for pod in pods], batch_size=5000
        )


def hex_hash(expression: str) -> str:
    """SQL for a 64-hex-digit SHA-256 of ``expression`` (a text), on either database."""
    if connection.vendor == "postgresql":
        return f"encode(sha256(convert_to({expression}, 'UTF8')), 'hex')"
    # SQLite has no SHA-256: 32 random bytes look the same to an index.
    return f"substr(lower(hex(randomblob(32))) || ({expression}), 1, 64)"


def fill_entries(tag: str, pod_size: int, pods: int) -> None:
    """``pod_size`` entries for each of the ``pods`` pods tagged ``tag``, round-robin."""
    pod_key = "p.id::text" if connection.vendor == "postgresql" else "p.id"
    key = f"{pod_key} || ':' || %s"
    now = "now()" if connection.vendor == "postgresql" else "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    sql = f"""
        INSERT INTO vault_accessevent (
            pod_id, seq, occurred_at, action, outcome, actor_kind, actor_organisation_id,
            actor_label, purpose, legal_basis, grant_id, request_id, resource_id, credential_id,
            credential_type, reason, prev_hash, entry_hash, leaf_hash, pruned_at)
        SELECT p.id, %s, {now}, 'credential.read', 'allowed', 'organisation', NULL,
            'Bench Employer', 'dpv:HumanResourceManagement', '', NULL, NULL, NULL,
            'urn:uuid:bench', 'DiplomaCredential', '', {hex_hash(key)}, {hex_hash(key)},
            {hex_hash(key + " || 'l'")}, NULL
        FROM vault_pod p WHERE p.holder_did LIKE %s
    """  # noqa: S608 - fixed SQL fragments; the values are parameters
    for seq in range(1, pod_size + 1):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [seq, seq - 1, seq, seq, f"did:bench:{tag}:%"])
        if seq % 10 == 0:
            print(f"    entry {seq}/{pod_size} of {pods} pods", file=sys.stderr, flush=True)
    with transaction.atomic():
        from vault.models import PodLog

        PodLog.objects.filter(pod__holder_did__startswith=f"did:bench:{tag}:").update(size=pod_size)


def total_entries() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vault_accessevent")
        return int(cursor.fetchone()[0])


def settle() -> None:
    """VACUUM ANALYZE, as autovacuum would have, then (PostgreSQL) a CHECKPOINT, so the writes
    of the bulk fill are not still being flushed to disk while commits are timed."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def fill_to(target: int, pod_size: int, stage: int) -> None:
    missing = target - total_entries()
    pods = missing // pod_size
    if pods > 0:
        make_pods(f"s{stage}", pods)
        fill_entries(f"s{stage}", pod_size, pods)
    settle()


def measured_pod(pod_size: int, stage: int):
    """A pod whose ``pod_size`` entries were all appended through the real path."""
    from vault import accesslog
    from vault.access import AccessContext
    from vault.models import Pod

    make_pods(f"m{stage}", 1)
    pod = Pod.objects.get(holder_did=f"did:bench:m{stage}:0")
    for _ in range(pod_size):
        with transaction.atomic():
            accesslog.append(pod, context=AccessContext.system(), action="credential.read")
    return pod


def timed(action, samples: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        action()
    out = []
    for _ in range(samples):
        t0 = time.perf_counter()
        action()
        out.append(time.perf_counter() - t0)
    return sorted(out)


def measure(pod, samples: int) -> dict[str, list[float]]:
    from vault import accesslog, selectors
    from vault.access import AccessContext

    context = AccessContext.system(purpose="bench")

    def page() -> None:
        first = Paginator(selectors.access_log(pod), 50).page(1)
        assert first.paginator.count > 0 and len(list(first)) == 50

    def append() -> None:
        with transaction.atomic():
            accesslog.append(pod, context=context, action="credential.read")

    # Reads first: appends grow the pod, and each size must read a pod of the same size.
    return {"page": timed(page, samples, warmup=50), "append": timed(append, samples, warmup=20)}


def stats(values: list[float]) -> tuple[float, float]:
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return statistics.median(values) * 1000, p95 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--pod-size", type=int, default=100)
    parser.add_argument(
        "--one-table",
        action="store_true",
        help="PostgreSQL: measure the log as one table, as before migration vault.0010 partitioned it",
    )
    args = parser.parse_args()
    default = "1000,100000,10000000" if connection.vendor == "postgresql" else "1000,100000"
    sizes = [int(size) for size in (args.sizes or default).split(",")]

    results: dict[int, dict[str, list[float]]] = {}
    totals: dict[int, int] = {}
    started = time.perf_counter()
    with throwaway_database():
        if args.one_table and connection.vendor == "postgresql":
            partitioning = import_module("vault.migrations.0010_access_log_partitioned")
            with transaction.atomic(), connection.cursor() as cursor:
                partitioning.rebuild(cursor, partitioned=False)
        layout = describe_table()
        for stage, size in enumerate(sizes):
            t0 = time.perf_counter()
            pod = measured_pod(args.pod_size, stage)
            fill_to(size, args.pod_size, stage)
            totals[size] = total_entries()
            print(
                f"  {totals[size]:>11,} entries: filled in {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            results[size] = measure(pod, args.samples)
        report(sizes, totals, results, layout, args, time.perf_counter() - started)


def describe_table() -> str:
    if connection.vendor != "postgresql":
        return "SQLite, one table"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind, (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid) "
            "FROM pg_class c WHERE c.relname = 'vault_accessevent'"
        )
        kind, partitions = cursor.fetchone()
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    shape = f"partitioned by hash, {partitions} partitions" if kind == "p" else "one table"
    return f"PostgreSQL {version}, {shape}"


def report(sizes, totals, results, layout, args, elapsed) -> None:
    print(
        f"\nAccess log at scale ({connection.vendor}: {layout}; pods of {args.pod_size} entries; "
        f"{args.samples} samples per cell; ms)"
    )
    header = f"{'':<8}" + "".join(f"{f'{totals[size]:,} entries':>26}" for size in sizes)
    print(header)
    print(f"{'':<8}" + "".join(f"{'median':>13}{'p95':>13}" for _ in sizes))
    for name in ("append", "page"):
        row = f"{name:<8}"
        for size in sizes:
            median, p95 = stats(results[size][name])
            row += f"{median:>13.2f}{p95:>13.2f}"
        print(row)
    base = sizes[0]
    for size in sizes[1:]:
        ratios = []
        for name in ("append", "page"):
            median, p95 = stats(results[size][name])
            base_median, base_p95 = stats(results[base][name])
            ratios.append(f"{name} median {median / base_median:.2f}x, p95 {p95 / base_p95:.2f}x")
        print(f"{size:,} / {base:,}: " + "; ".join(ratios))
    print(f"(whole run {elapsed / 60:.1f} min, database dropped)")


if __name__ == "__main__":
    main()
