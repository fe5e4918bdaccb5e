"""Benchmark: a university issues a graduating class as one batch, next to one-by-one issuance.

Both go through the full Django + DRF stack in-process (django.test.Client), on the same
database, in the same run, with Celery eager (the batch task runs inside the upload request):
- ceiling: POST /api/v1/issuer/credentials, one diploma per request (sign, verify, seal, log);
- batch:   POST /api/v1/issuer/batches with a CSV of --rows diplomas (parse, seal the upload,
           then per row: check, sign, verify, seal, log; a checkpoint every 100 rows).
The citizens are created first and not timed. It prints the batch's wall time, its rate in
diplomas per second, the one-by-one rate, and their ratio.

    .venv/bin/python bench/batch_issuance.py                 # SQLite (the quick-start database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/citizen_vault .venv/bin/python bench/batch_issuance.py

Options: --rows N (default 5000), --single N (default 200: one-by-one issuances for the ceiling).
"""

import argparse
import csv
import io
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["THROTTLE_USER"] = "100000000/minute"  # measure the path, not the rate limiter
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.pop("REDIS_URL", None)  # the task runs eagerly, in this process

import django

django.setup()

from django.core import mail  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from harness import throwaway_database  # noqa: E402

from vault.batchcsv import credential_for, layout_of  # noqa: E402

WARMUP = 10


def national_id(index: int) -> str:
    """A Belgian national register number, its check digits right (accounts.identity)."""
    first_nine = 900000000 + index
    return f"BE:{first_nine:09d}{97 - first_nine % 97:02d}"


def seed(citizens: int) -> str:
    """A university with a signing key, and the class: citizens with pods (not timed)."""
    from accounts.models import Organisation
    from accounts.services import create_organisation, issue_api_token
    from credentials.services import create_issuer_key
    from vault.services import create_citizen

    university = create_organisation(name="Bench University", kind=Organisation.Kind.ISSUER)
    create_issuer_key(organisation=university)
    for index in range(citizens):
        create_citizen(email=f"graduate{index}@example.org", national_id=national_id(index))
    return issue_api_token(organisation=university)[1]


def row_cells(index: int) -> dict[str, str]:
    return {
        "national_id": national_id(index),
        "given_name": "Graduate",
        "family_name": f"Number {index}",
        "degree_type": "MasterDegree",
        "degree_name": "Master of Science in Computer Science",
        "awarded_on": "2025-06-27",
        "field_of_study": "Computer Science",
        "grade": f"{60 + index % 30}/100",
    }


def class_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row_cells(0)), lineterminator="\n")
    writer.writeheader()
    writer.writerows(row_cells(index) for index in range(rows))
    return out.getvalue().encode()


def single(client: Client, token: str, count: int) -> float:
    """One-by-one issuance through POST /issuer/credentials; returns diplomas per second."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    started = time.perf_counter()
    for index in range(count):
        # The very diploma a batch row describes, so both paths sign the same amount of data.
        credential = credential_for(
            row_cells(index), layout=layout_of("DiplomaCredential"), credential_id=f"urn:uuid:{uuid.uuid4()}"
        )
        body = {"recipient": {"nationalId": national_id(index)}, "credential": credential}
        response = client.post("/api/v1/issuer/credentials", body, content_type="application/json", **headers)
        if response.status_code != 201:
            raise SystemExit(f"single issuance answered {response.status_code}: {response.content[:200]!r}")
    return count / (time.perf_counter() - started)


def batch(client: Client, token: str, rows: int) -> tuple[float, dict]:
    """The whole class as one batch; returns the wall time and the batch's final state."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    upload = SimpleUploadedFile("class.csv", class_csv(rows), content_type="text/csv")
    started = time.perf_counter()
    response = client.post("/api/v1/issuer/batches", {"file": upload}, **headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 202:
        raise SystemExit(f"batch upload answered {response.status_code}: {response.content[:300]!r}")
    state = client.get(response["Location"], **headers).json()
    return elapsed, state


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--single", type=int, default=200)
    args = parser.parse_args()

    with throwaway_database():
        started = time.perf_counter()
        token = seed(max(args.rows, args.single))
        seeding = time.perf_counter() - started
        client = Client()
        single(client, token, WARMUP)  # first signatures load contexts and caches: not measured
        single_rate = single(client, token, args.single)
        elapsed, state = batch(client, token, args.rows)
        mails = len(mail.outbox)

    if state["status"] != "done" or state["issued"] != args.rows:
        raise SystemExit(f"the batch did not issue every row: {state}")
    print(f"database: {connection.vendor}, citizens created (not timed) in {seeding:.1f} s")
    print(f"{'path':<46}{'diplomas':>9}{'seconds':>9}{'per s':>9}")
    for name, count, seconds in (
        ("one by one (POST /issuer/credentials)", args.single, args.single / single_rate),
        ("batch (POST /issuer/batches, eager task)", args.rows, elapsed),
    ):
        print(f"{name:<46}{count:>9}{seconds:>9.1f}{count / seconds:>9.0f}")
    print(f"batch / one-by-one throughput ratio: {args.rows / elapsed / single_rate:.2f}")
    print(f"notifications sent: {mails}; batch errors: {state['failed']}")


if __name__ == "__main__":
    main()
