"""Benchmark over HTTP, production-shaped: the consented read next to a bare DRF endpoint.

It makes a throw-away PostgreSQL database, migrates it, seeds the pods (pods, keys and signed
credentials through the services, so the crypto is real; access requests and grants in bulk,
they are only data), then starts on loopback:
- the project: gunicorn, --workers sync workers, DEBUG=0 with secrets generated for this run,
  PostgreSQL, a Redis database of its own (--redis-db), throttles raised so they never refuse;
- the ceiling: bench/bareapp (a DRF token-authenticated one-row read of the 2.2 KB signed
  diploma, its own database on the same server, its own gunicorn with the same worker count).
wrk (Debian's package: scripts/setup-bench.sh) then runs at --connections connections, round-robin
over many URLs, --runs x --duration seconds per target, the targets interleaved in each run:

    bare        GET /documents/<id> on the bare endpoint, over --pods rows
    floor       GET /documents/<id>/logged on the bare endpoint: the same read in one transaction,
                the row under a share lock and one row inserted to record it (the least a read
                that must log itself in its own transaction costs; no ratio is asked of it)
    floor-one   GET /documents/<id>/logged-in-one: the floor's read and record in one statement
                (its own transaction, in autocommit), which the vault's read cannot be: its
                entry links to the log's head and its checkpoint signs the new tree
    spread      GET /api/v1/grants/<id>/credentials, over --pods pods with one grant each
    one-grant   the same read, all connections on one grant
    own         GET /api/v1/pod/credentials, the citizen's own read of their 3 credentials
    ten         the consented read of a pod holding 10 diplomas

It prints req/s (median of the runs), p99 (median of the runs), the ratio to bare, the errors,
the CPU time each request cost (the gunicorn workers' and their PostgreSQL backends', read from
/proc before and after each run: on a machine others load, this moves far less than req/s, and
bare's CPU per request over the target's is the throughput ratio a machine of our own would
give), and checks that the log gained exactly one credential.read entry per credential served (the
server's own count of 200 answers, from gunicorn's access log, times the credentials per read).
`x floor` is each target's req/s over the floor's, run for run: what the vault's own work (the
rate limit, the decision, decryption, the signatures, the hash chain) costs beyond the least a
read that logs itself in its own transaction costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citizen_vault_bench .venv/bin/python bench/http_read.py
    … bench/http_read.py --short                       # 1 x 5 s, 50 pods: a smoke run
    … bench/http_read.py --cryptosuite eddsa-jcs-2022  # the presentation signed with JCS

Everything listens on 127.0.0.1 only; every process it starts is stopped at the end.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# The generated secrets: the seeding process and the servers must share them (the pod keys are
# wrapped under this KEK ring).
SECRETS = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "KEY_ENCRYPTION_KEYS": f"bench:{secrets.token_hex(32)}",
    "LOOKUP_HASH_KEY": secrets.token_urlsafe(32),
}
PRODUCTION_SHAPE = {
    **SECRETS,
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",  # plain http on loopback
    "THROTTLE_USER": "100000000/minute",  # throttles counted (in Redis) but never refusing
    "THROTTLE_ANON": "100000000/minute",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(PRODUCTION_SHAPE)
os.environ.pop("REDIS_URL", None)  # seeding: Celery eager, e-mail kept in memory, nothing queued
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise SystemExit(
        "Set DATABASE_URL to a PostgreSQL server (postgres://…): this benchmark is production-shaped."
    )

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from harness import throwaway_database  # noqa: E402

HR = "dpv:HumanResourceManagement"
DOMAIN = "https://hr.bench.example"
TARGETS = {  # name: (what the table calls it, credentials per read)
    "bare": ("bare DRF one-row read", 0),
    "floor": ("bare read that logs itself: share lock, one row inserted, one transaction", 0),
    "floor-one": ("the same in one statement (autocommit)", 0),
    "spread": ("consented read, {pods} pods, one grant each, round-robin", 1),
    "one-grant": ("consented read, one grant, all connections on it", 1),
    "own": ("the citizen's own read of their 3 credentials", 3),
    "ten": ("consented read of a pod holding 10 diplomas", 10),
}
# The issue's targets, as (minimum ratio to bare, p99 ceiling in ms or None).
GOALS = {"spread": (0.6, 50.0), "one-grant": (0.4, None), "own": (0.6, None), "ten": (0.3, None)}

WRK_SCRIPT = r"""
local paths = {}
local position = 0
local authorization = ""
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  authorization = args[2]
  position = (offset or 0) % #paths
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], { ["Authorization"] = authorization })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


WRK = shutil.which("wrk") or ""
if not WRK:
    raise SystemExit("wrk is not installed: run scripts/setup-bench.sh (Debian's wrk package).")


def national_id(index: int) -> str:
    """A Belgian national register number, its check digits right (accounts.identity)."""
    first_nine = 800000000 + index
    return f"BE:{first_nine:09d}{97 - first_nine % 97:02d}"


@dataclass
class Target:
    name: str
    base_url: str
    paths: list[str]
    authorization: str
    per_read: int
    workers: "CpuMeter"
    results: list[dict] = field(default_factory=list)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15 of stat)


@dataclass
class CpuMeter:
    """The CPU time of one server's gunicorn workers and of their PostgreSQL backends."""

    master_pid: int
    database: str

    def pids(self) -> tuple[list[int], list[int]]:
        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text().split()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database],
            )
            backends = [row[0] for row in cursor.fetchall()]
        return [int(pid) for pid in children], backends

    def snapshot(self) -> dict[int, float]:
        workers, backends = self.pids()
        return {pid: cpu_seconds(pid) or 0.0 for pid in workers + backends}

    def spent(self, before: dict[int, float]) -> tuple[float, float]:
        """CPU seconds since ``before``, (workers, backends); a backend opened since counts whole."""
        workers, backends = self.pids()

        def total(pids: list[int]) -> float:
            return sum(max(0.0, (cpu_seconds(pid) or 0.0) - before.get(pid, 0.0)) for pid in pids)

        return total(workers), total(backends)


# --- seeding -------------------------------------------------------------------------------------


def seed(pods: int) -> tuple[dict[str, list[str]], dict[str, str], dict]:
    """The project's data: returns the URL paths per target, the tokens, and a signed diploma."""
    from accounts.models import Organisation
    from accounts.services import create_organisation, issue_api_token
    from consent.management.commands.seed_demo import DEMO_DIPLOMA
    from consent.models import AccessRequest, Grant
    from credentials.services import create_issuer_key
    from vault.services import create_citizen, issue_into_pod

    university = create_organisation(name="Bench University", kind=Organisation.Kind.ISSUER)
    create_issuer_key(organisation=university)
    employer = create_organisation(name="Bench Employer", kind=Organisation.Kind.EMPLOYER)

    def citizen_with(index: int, diplomas: int):
        pod = create_citizen(email=f"citizen{index}@bench.example", national_id=national_id(index))
        signed = None
        for _ in range(diplomas):
            _, signed = issue_into_pod(
                issuer=university, national_id=national_id(index), credential=DEMO_DIPLOMA
            )
        return pod, signed

    spread = [citizen_with(index, 1) for index in range(pods)]
    one, _ = citizen_with(pods, 1)
    own, _ = citizen_with(pods + 1, 3)
    ten, _ = citizen_with(pods + 2, 10)
    sample = spread[0][1]

    # Grants in bulk: only data (the decision reads these rows; nothing in them is signed).
    now = timezone.now()
    requests = []
    grants = []
    for pod in [pod for pod, _ in spread] + [one, ten]:
        request = AccessRequest(
            requester=employer,
            pod=pod,
            credential_types=["DiplomaCredential"],
            purpose=HR,
            purpose_description="benchmark",
            requested_until=now + timedelta(days=30),
            answer_by=now + timedelta(days=1),
            status=AccessRequest.Status.APPROVED,
            decided_at=now,
        )
        requests.append(request)
        grants.append(
            Grant(
                request=request,
                pod=pod,
                grantee=employer,
                credential_types=["DiplomaCredential"],
                purpose=HR,
                valid_from=now,
                valid_until=now + timedelta(days=30),
            )
        )
    AccessRequest.objects.bulk_create(requests)
    Grant.objects.bulk_create(grants)

    def read_path(grant: Grant, index: int) -> str:
        return (
            f"/api/v1/grants/{grant.pk}/credentials?purpose={HR}"
            f"&challenge=bench-challenge-{index:08d}&domain={DOMAIN}"
        )

    paths = {
        "spread": [read_path(grant, index) for index, grant in enumerate(grants[:pods])],
        "one-grant": [read_path(grants[pods], index) for index in range(pods)],
        "own": ["/api/v1/pod/credentials"],
        "ten": [read_path(grants[pods + 1], index) for index in range(pods)],
    }
    tokens = {
        "employer": issue_api_token(organisation=employer, name="bench")[1],
        "citizen": issue_api_token(user=own.owner, name="bench")[1],
    }
    return paths, tokens, sample


def credential_reads() -> int:
    from vault.models import AccessEvent

    return AccessEvent.objects.filter(action=AccessEvent.Action.CREDENTIAL_READ).count()


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(name: str, wsgi: str, env: dict[str, str], workers: int, workdir: Path):
    """gunicorn on a free loopback port, stopped (its process group) on the way out."""
    port = free_port()
    access_log = workdir / f"{name}-access.log"
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            wsgi,
            f"--workers={workers}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            f"--access-logfile={access_log}",
            "--access-logformat=%(s)s %(U)s",
            "--timeout=60",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=open(workdir / f"{name}.out", "wb"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited: see {workdir / (name + '.out')}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not listen within 60 s") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", access_log, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@contextmanager
def bare_database(server_url: str):
    """A second throw-away database on the same PostgreSQL server, for the bare endpoint."""
    import psycopg

    name = f"bench_bare_{os.getpid()}"
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def check_answer(base_url: str, path: str, authorization: str) -> None:
    request = urllib.request.Request(base_url + path, headers={"Authorization": authorization})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")


def ok_answers(access_log: Path, offset: int) -> tuple[int, int, int]:
    """The 200 and other answers gunicorn logged after ``offset``, and the new offset."""
    with open(access_log, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    lines = data.splitlines()
    ok = sum(1 for line in lines if line.startswith(b"200 "))
    return ok, len(lines) - ok, offset + len(data)


def run_wrk(target: Target, seconds: float, connections: int, threads: int, workdir: Path) -> dict:
    paths_file = workdir / f"{target.name}.paths"
    script = workdir / "round_robin.lua"
    output = subprocess.run(  # noqa: S603 - wrk with fixed arguments
        [
            WRK,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout=10s",
            f"-s{script}",
            target.base_url,
            "--",
            str(paths_file),
            target.authorization,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    figures = json.loads(line.removeprefix("WRKJSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[key] for key in ("connect", "read", "write", "status", "timeout"))
    return figures


def settle(access_log: Path, offset: int, reads_before: int, per_read: int) -> tuple[int, int, int]:
    """Wait for the requests still in flight when wrk stopped (gunicorn finishes them), then
    count the answers served after ``offset`` and the credential.read entries logged since.

    Reads commit their log entries before gunicorn logs the answer, so both counts must be still
    (and, for reads, agree) before they are compared; a real mismatch stays and shows after 60 s.
    """
    previous = None
    for _ in range(120):
        time.sleep(0.5)
        ok, other, _ = ok_answers(access_log, offset)
        logged = credential_reads() - reads_before if per_read else 0
        connection.close()
        counted = (ok, other, logged)
        if counted == previous and (not per_read or logged == ok * per_read):
            break
        previous = counted
    return counted


# --- the run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per target per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per target before the runs")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, each server")
    parser.add_argument("--redis-db", type=int, default=13, help="the Redis database the project uses")
    parser.add_argument("--cryptosuite", help="ask for this presentation suite (default: the server's)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated, bare always runs")
    parser.add_argument("--short", action="store_true", help="1 run x 5 s, 50 pods, 1 s warm-up")
    parser.add_argument("--hold", type=float, default=0, help="seconds to keep the servers up after seeding")
    args = parser.parse_args()
    if args.short:
        args.pods, args.runs, args.duration, args.warmup = min(args.pods, 50), 1, 5.0, 1.0
    wanted = ["bare"] + [name for name in args.targets.split(",") if name in TARGETS and name != "bare"]
    redis_url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379").rstrip("/")
    started = time.monotonic()

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="http_read_")))
        (workdir / "round_robin.lua").write_text(WRK_SCRIPT)
        stack.enter_context(throwaway_database())
        project_db = connection.settings_dict
        project_url = (
            f"postgres://{project_db['USER']}@{project_db['HOST']}:{project_db['PORT']}/{project_db['NAME']}"
        )
        t0 = time.monotonic()
        paths, tokens, sample = seed(args.pods)
        print(f"seeded {args.pods + 3} pods in {time.monotonic() - t0:.1f} s", flush=True)
        if args.cryptosuite:
            paths = {
                name: [
                    f"{path}&cryptosuite={args.cryptosuite}" if "/grants/" in path else path for path in urls
                ]
                for name, urls in paths.items()
            }
        connection.close()  # the servers get the connections

        bare_url = stack.enter_context(bare_database(os.environ["DATABASE_URL"]))
        document = workdir / "document.json"
        document.write_text(json.dumps(sample))
        bare_env = {"DATABASE_URL": bare_url, "DJANGO_SETTINGS_MODULE": "bench.bareapp.settings"}
        bare_token = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.bareapp.seed", str(document), str(args.pods)],
            cwd=ROOT,
            env={**os.environ, **bare_env},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        paths["bare"] = [f"/documents/{index}" for index in range(1, args.pods + 1)]
        paths["floor"] = [f"/documents/{index}/logged" for index in range(1, args.pods + 1)]
        paths["floor-one"] = [f"/documents/{index}/logged-in-one" for index in range(1, args.pods + 1)]

        project_env = {"DATABASE_URL": project_url, "REDIS_URL": f"{redis_url}/{args.redis_db}"}
        project = stack.enter_context(
            server("project", "config.wsgi:application", project_env, args.workers, workdir)
        )
        bare = stack.enter_context(
            server("bare", "bench.bareapp.wsgi:application", bare_env, args.workers, workdir)
        )
        on_bare = ("bare", "floor", "floor-one")
        servers = {name: (bare if name in on_bare else project) for name in wanted}
        meters = {
            "project": CpuMeter(project[2], project_db["NAME"]),
            "bare": CpuMeter(bare[2], bare_url.rsplit("/", 1)[1]),
        }
        targets = []
        for name in wanted:
            base_url, _, _ = servers[name]
            authorization = (
                f"Token {bare_token}"
                if name in on_bare
                else f"Bearer {tokens['citizen' if name == 'own' else 'employer']}"
            )
            (workdir / f"{name}.paths").write_text("\n".join(paths[name]) + "\n")
            check_answer(base_url, paths[name][0], authorization)
            meter = meters["bare" if name in on_bare else "project"]
            targets.append(Target(name, base_url, paths[name], authorization, TARGETS[name][1], meter))
        print(f"project pid {project[2]} at {project[0]}, bare pid {bare[2]} at {bare[0]}", flush=True)
        if args.hold:
            print(f"holding {args.hold:.0f} s (profile a worker now)", flush=True)
            time.sleep(args.hold)

        for target in targets:
            if args.warmup:
                run_wrk(target, args.warmup, args.connections, args.threads, workdir)
        for run in range(args.runs):
            for target in targets:
                _, access_log, _ = servers[target.name]
                _, _, offset = ok_answers(access_log, 0)
                reads_before = credential_reads() if target.per_read else 0
                cpu_before = target.workers.snapshot()
                connection.close()
                figures = run_wrk(target, args.duration, args.connections, args.threads, workdir)
                ok, other, logged = settle(access_log, offset, reads_before, target.per_read)
                app_cpu, db_cpu = target.workers.spent(cpu_before)
                connection.close()
                figures["served_ok"], figures["served_other"] = ok, other
                served = max(1, ok + other)
                figures["app_ms"], figures["db_ms"] = 1000 * app_cpu / served, 1000 * db_cpu / served
                if target.per_read:
                    figures["logged"], figures["log_ok"] = logged, logged == ok * target.per_read
                target.results.append(figures)
                print(
                    f"run {run + 1} {target.name:<10} {figures['rps']:8.0f} req/s"
                    f"  p99 {figures['p99_us'] / 1000:7.1f} ms"
                    f"  errors {figures['errors'] + other}"
                    f"  cpu/req {figures['app_ms']:.2f}+{figures['db_ms']:.2f} ms"
                    + (f"  log +{figures['logged']} for {ok} reads" if target.per_read else ""),
                    flush=True,
                )
        connection.close()

    report(targets, args, time.monotonic() - started)


def report(targets: list[Target], args: argparse.Namespace, elapsed: float) -> None:
    print()
    print(
        f"{args.runs} x {args.duration:g} s per target, {args.connections} connections, "
        f"wrk -t{args.threads}, "
        f"gunicorn {args.workers} sync workers each, PostgreSQL, DEBUG=0, "
        f"presentation suite: {args.cryptosuite or 'server default'}; {elapsed:.0f} s in all"
    )
    print(
        "| target | req/s (median) | p99 (median) | x bare (median of the runs' ratios) | errors | log "
        "| CPU ms per request, app + PostgreSQL (median) | x bare by CPU | x floor |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    floor = next((target for target in targets if target.name == "floor"), None)
    verdicts = []
    for target in targets:
        rps = statistics.median(result["rps"] for result in target.results)
        p99 = statistics.median(result["p99_us"] for result in target.results) / 1000
        errors = sum(result["errors"] + result["served_other"] for result in target.results)
        # Each run's ratio is measured against the bare endpoint of the same run (the load of a
        # shared machine drifts between runs); the table gives their median.
        ratio = statistics.median(
            result["rps"] / bare["rps"]
            for result, bare in zip(target.results, targets[0].results, strict=True)
        )
        log = "n/a"
        if target.per_read:
            log = "exact" if all(result["log_ok"] for result in target.results) else "MISMATCH"
        label = TARGETS[target.name][0].format(pods=args.pods)
        app_ms = statistics.median(result["app_ms"] for result in target.results)
        db_ms = statistics.median(result["db_ms"] for result in target.results)
        bare_ms = statistics.median(r["app_ms"] + r["db_ms"] for r in targets[0].results)
        by_cpu = bare_ms / max(1e-9, statistics.median(r["app_ms"] + r["db_ms"] for r in target.results))
        # Against the floor (a read that logs itself and does nothing else), run for run as
        # against bare: what the vault's own work costs beyond the least its guarantees ask.
        to_floor = "n/a"
        if floor is not None and target.name != "bare":
            to_floor = "{:.2f}".format(
                statistics.median(
                    result["rps"] / least["rps"]
                    for result, least in zip(target.results, floor.results, strict=True)
                )
            )
        print(
            f"| {label} | {rps:,.0f} | {p99:.0f} ms | {ratio:.2f} | {errors} | {log} "
            f"| {app_ms:.2f} + {db_ms:.2f} | {by_cpu:.2f} | {to_floor} |"
        )
        if target.name in GOALS:
            minimum, ceiling = GOALS[target.name]
            met = ratio >= minimum and (ceiling is None or p99 < ceiling) and errors == 0 and log == "exact"
            goal = (
                f"≥ {minimum} x bare"
                + (f", p99 < {ceiling:g} ms" if ceiling else "")
                + ", no errors, log exact"
            )
            verdicts.append(f"{target.name}: {goal}: {'met' if met else 'NOT met'}")
    print()
    for verdict in verdicts:
        print(verdict)


if __name__ == "__main__":
    main()
