"""Where one API request's time goes, in process: the consented read and the citizen's own read
through Django's WSGI handler (the middleware, DRF, the view), as gunicorn calls it.

Production-shaped as bench/http_read.py (DEBUG=0, PostgreSQL, Redis for the rate limits, the
same seeding), but one process, one request at a time, no network in front: what it measures is
the CPU a request costs the worker, and cProfile says where. It also counts the SQL statements
and the Redis round trips of each request.

    DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/request_profile.py
    … --requests 2000 --profile spread --sort tottime --limit 40
    … --around      # the read itself answers from memory: only what surrounds it runs
    … --around --without csp.middleware.CSPMiddleware   # what one middleware costs a request
    … --freeze warm   # gc.freeze() after the warm-up requests (or: start, after start-up)
    … --garbage 20    # what 20 requests leave in reference cycles, by type and by where made

With --around, ``consent.services.read_under_grant`` and ``vault.services.read_own_credentials``
answer each request with what they answered the first time (no statement, no decryption, no
signature, nothing logged): what is left is each request's overhead around the read, the
middleware, DRF's authentication, permissions and rate limit, the view's own parsing and the
rendering, which is what the bare endpoint is compared with.
"""

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

redis_url = os.environ.pop("REDIS_URL", "")  # seeding as http_read.py seeds: no broker
import http_read  # noqa: E402  (sets the production shape and sets Django up)
from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from harness import throwaway_database  # noqa: E402


def environ(path: str, authorization: str) -> dict:
    """What gunicorn's sync worker hands the application for a GET on loopback."""
    path_info, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": authorization,
        "HTTP_USER_AGENT": "wrk",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Server:
    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def get(self, path: str, authorization: str) -> tuple[str, bytes]:
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"] = status

        body = self.handler(environ(path, authorization), start_response)
        try:
            content = b"".join(body)
        finally:
            body.close()
        return answer["status"], content


def answer_from_memory() -> None:
    """Replace the two reads by their first answer (see --around)."""
    import consent.services
    import vault.services

    for module, name in ((consent.services, "read_under_grant"), (vault.services, "read_own_credentials")):
        read = getattr(module, name)
        answers = {}

        def remembered(*args, _read=read, _answers=answers, **kwargs):
            if "answer" not in _answers:
                _answers["answer"] = _read(*args, **kwargs)
            return _answers["answer"]

        setattr(module, name, remembered)


class RedisCounter:
    """Counts the commands and round trips sent through redis-py's connections."""

    def __init__(self) -> None:
        from redis.connection import AbstractConnection

        self.round_trips = 0
        self.cls = AbstractConnection
        self.original = AbstractConnection.send_packed_command

    def __enter__(self):
        counter = self

        def send_packed_command(conn, command, check_health=True):
            counter.round_trips += 1
            return counter.original(conn, command, check_health)

        self.cls.send_packed_command = send_packed_command
        return self

    def __exit__(self, *exc):
        self.cls.send_packed_command = self.original


class CollectorClock:
    """Times each collection of the cyclic garbage collector by generation (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self.collected = [0, 0, 0]
        self.started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.process_time()
            return
        generation = info["generation"]
        self.seconds[generation] += time.process_time() - self.started
        self.collections[generation] += 1
        self.collected[generation] += info["collected"]

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def where_made(obj) -> str:
    """The innermost frame outside the standard library and the collector's own bookkeeping."""
    traceback = tracemalloc.get_object_traceback(obj)
    if traceback is None:
        return "(not traced)"
    for frame in reversed(traceback):  # innermost first
        if "/lib/python3" in frame.filename and "site-packages" not in frame.filename:
            continue
        name = frame.filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        return f"{name}:{frame.lineno}"
    frame = traceback[-1]
    return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"


def show_garbage(server: "Server", urls: list, authorization: str, requests: int) -> None:
    """What `requests` requests leave in reference cycles, grouped by type and where made."""
    gc.collect()
    tracemalloc.start(25)
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for index in range(requests):
            server.get(urls[index % len(urls)], authorization)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    by_type = Counter(type(obj).__name__ for obj in garbage)
    by_place = Counter(where_made(obj) for obj in garbage)
    tracemalloc.stop()
    print(f"    {len(garbage) / requests:.0f} objects a request left in cycles; by type (per request):")
    for name, count in by_type.most_common(12):
        print(f"      {count / requests:8.1f}  {name}")
    print("    by where made (innermost frame outside the standard library, per request):")
    for place, count in by_place.most_common(25):
        print(f"      {count / requests:8.1f}  {place}")
    print("    the cycles themselves (strongly connected groups of the garbage, per request):")
    for kinds, count in cycles(garbage).most_common(12):
        print(f"      {count / requests:8.1f}  {kinds}")
    del garbage


def cycles(garbage: list) -> Counter:
    """The strongly connected groups of more than one object among ``garbage`` (what keeps the
    rest alive), each named by the types in it; Tarjan's algorithm, iteratively."""
    ids = {id(obj): index for index, obj in enumerate(garbage)}
    edges = [[ids[id(ref)] for ref in gc.get_referents(obj) if id(ref) in ids] for obj in garbage]
    index_of, low, on_stack, stack, found = {}, {}, set(), [], Counter()
    for root in range(len(garbage)):
        if root in index_of:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index_of[node] = low[node] = len(index_of)
                stack.append(node)
                on_stack.add(node)
            for offset, target in enumerate(edges[node][position:], position):
                if target not in index_of:
                    work.append((node, offset + 1))
                    work.append((target, 0))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index_of[target])
            else:
                if low[node] == index_of[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        kinds = Counter(type(garbage[member]).__name__ for member in group)
                        found[", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))] += 1
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500, help="per target, after 50 of warm-up")
    parser.add_argument("--targets", default="spread,own")
    parser.add_argument("--profile", default="", help="profile this target with cProfile")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument("--around", action="store_true", help="the reads answer from memory")
    parser.add_argument(
        "--without", default="", help="comma-separated middleware left out of settings.MIDDLEWARE"
    )
    parser.add_argument(
        "--freeze",
        choices=("no", "start", "warm"),
        default="no",
        help="gc.freeze() after start-up (start) or after each target's warm-up requests (warm)",
    )
    parser.add_argument(
        "--garbage", type=int, default=0, help="group what this many requests leave in cycles"
    )
    args = parser.parse_args()
    if not redis_url:
        raise SystemExit("Set REDIS_URL to a Redis database of your own (the rate limits count in it).")

    with throwaway_database():
        paths, tokens, _ = http_read.seed(args.pods)
        cache = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            }
        }
        if args.around:
            answer_from_memory()
        left_out = {name for name in args.without.split(",") if name}
        unknown = left_out - set(settings.MIDDLEWARE)
        if unknown:
            raise SystemExit(f"Not in settings.MIDDLEWARE: {', '.join(sorted(unknown))}")
        middleware = [name for name in settings.MIDDLEWARE if name not in left_out]
        with override_settings(CACHES=cache, MIDDLEWARE=middleware):
            server = Server()
            if args.freeze == "start":
                gc.collect()
                gc.freeze()
            for name in args.targets.split(","):
                authorization = f"Bearer {tokens['citizen' if name == 'own' else 'employer']}"
                urls = paths[name]
                for index in range(50):
                    status, body = server.get(urls[index % len(urls)], authorization)
                    if not status.startswith("200"):
                        raise SystemExit(f"{name}: {status} {body[:300]!r}")
                with CaptureQueriesContext(connection) as queries, RedisCounter() as redis:
                    server.get(urls[0], authorization)
                statements = [query["sql"] for query in queries.captured_queries]
                profiler = cProfile.Profile() if name == args.profile else None
                gc.collect()
                if args.freeze == "warm":
                    gc.freeze()
                clock = CollectorClock()
                clock.__enter__()
                collections_before = [stat["collections"] for stat in gc.get_stats()]
                rounds = []
                per_round = max(1, args.requests // 5)
                for _ in range(5):
                    started = time.process_time()
                    if profiler:
                        profiler.enable()
                    for index in range(per_round):
                        server.get(urls[index % len(urls)], authorization)
                    if profiler:
                        profiler.disable()
                    rounds.append((time.process_time() - started) / per_round * 1000)
                clock.__exit__()
                collections = [
                    stat["collections"] - before
                    for stat, before in zip(gc.get_stats(), collections_before, strict=True)
                ]
                # What waits for a full collection: the objects a young or middle collection found
                # still in use by the request under way (and so moved to an older generation),
                # left in cycles when it ended; not what one request leaves (the collector's
                # line below: freed in young and middle collections, per request).
                left_in_cycles = gc.collect()
                started = time.process_time()
                gc.collect()
                full = (time.process_time() - started) * 1000
                tracked = len(gc.get_objects())
                print(
                    f"{name:<10} {statistics.median(rounds):6.2f} ms CPU/request (median of 5 rounds, "
                    f"least {min(rounds):.2f}), {len(statements)} statements, "
                    f"{redis.round_trips} Redis round trips; garbage collections (generations 0/1/2) "
                    f"{'/'.join(map(str, collections))}, {left_in_cycles} objects in cycles left for a full "
                    f"collection; a full collection of {tracked} tracked objects takes {full:.1f} ms"
                )
                requests = per_round * 5
                print(
                    "    the collector: "
                    + ", ".join(
                        f"generation {generation} {clock.collections[generation]} collections "
                        f"{clock.seconds[generation] * 1000 / requests:.3f} ms a request "
                        f"({clock.collected[generation]} objects freed)"
                        for generation in range(3)
                    )
                    + f"; in all {sum(clock.seconds) * 1000 / requests:.3f} ms a request, "
                    f"{sum(clock.collected) / requests:.0f} objects freed a request, "
                    f"{gc.get_freeze_count()} objects frozen"
                )
                for sql in statements:
                    print(f"    {sql[:160]}")
                if args.garbage:
                    show_garbage(server, urls, authorization, args.garbage)
                if profiler:
                    stats = pstats.Stats(profiler)
                    stats.sort_stats(args.sort).print_stats(args.limit)


if __name__ == "__main__":
    main()
