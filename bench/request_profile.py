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
                collections = [
                    stat["collections"] - before
                    for stat, before in zip(gc.get_stats(), collections_before, strict=True)
                ]
                server.get(urls[0], authorization)
                left_in_cycles = gc.collect()  # what one request leaves for the cycle collector
                print(
                    f"{name:<10} {statistics.median(rounds):6.2f} ms CPU/request (median of 5 rounds, "
                    f"least {min(rounds):.2f}), {len(statements)} statements, "
                    f"{redis.round_trips} Redis round trips; garbage collections (generations 0/1/2) "
                    f"{'/'.join(map(str, collections))}, {left_in_cycles} objects a request leaves in cycles"
                )
                for sql in statements:
                    print(f"    {sql[:160]}")
                if profiler:
                    stats = pstats.Stats(profiler)
                    stats.sort_stats(args.sort).print_stats(args.limit)


if __name__ == "__main__":
    main()
