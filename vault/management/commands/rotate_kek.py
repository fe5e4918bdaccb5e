"""Re-wrap every KEK-wrapped secret under the active KEK, in batches (vault.keyrotation)."""

import time

from django.core.management.base import BaseCommand, CommandError

from core.keyring import keyring
from vault.keyrotation import DEFAULT_BATCH_SIZE, rotate_kek


class Command(BaseCommand):
    help = (
        "Re-wrap every pod data key, issuer key, log signing key, batch upload key and sealed "
        "national identifier that is not under the active KEK (KEY_ENCRYPTION_KEY_ID, else the "
        "first of KEY_ENCRYPTION_KEYS), one batch per transaction, printing progress. Safe to stop "
        "at any point and run again: what is already under the active KEK is skipped. Reads and "
        "writes go on meanwhile. Exit status 1 if some secret did not open (they are listed)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="rows per transaction (default %(default)s)",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="wait this long between batches, to leave the database to the live traffic",
        )

    def handle(self, batch_size, pause, **options):
        if batch_size < 1 or pause < 0:
            raise CommandError("--batch-size is at least 1 and --pause at least 0.")
        self.stdout.write(f"Re-wrapping under KEK {keyring().active_id!r}.")
        started = time.monotonic()

        def report(line: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f} s] {line}")
            self.stdout.flush()

        outcome = rotate_kek(batch_size=batch_size, report=report, between_batches=lambda: time.sleep(pause))
        failed = False
        for column in outcome:
            self.stdout.write(f"{column.label}: {column.rewrapped} re-wrapped.")
            for pk in column.failed:
                failed = True
                self.stderr.write(
                    f"{column.label}: row {pk} did not open (integrity error, logged); left as it was."
                )
        self.stdout.write("Now `manage.py kek_usage` shows what each KEK still wraps.")
        if failed:
            raise CommandError("Some secrets did not open under their KEK; see above.", returncode=1)
