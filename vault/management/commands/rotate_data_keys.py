"""Re-encrypt pods under new data keys, each in resumable batches (vault.services)."""

import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.keyring import DecryptionError
from vault.keyrotation import REENCRYPT_WRITE_SIZE
from vault.models import Pod
from vault.services import rotate_pod_data_key


class Command(BaseCommand):
    help = (
        "Give pods new data keys and re-encrypt what they hold, each pod in batches of "
        "--batch-size rows (one transaction each) with a progress line per batch, recorded in the "
        "pod's access log once done. --pod rotates the pods named; --all rotates every pod whose "
        "data key was made before --before (default: now, printed at the start) and finishes every "
        "rotation left in progress: after a crash, run it again with the same --before and it "
        "resumes where it stopped, with the pod it was in the middle of first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--pod", action="append", default=[], metavar="POD_ID", help="a pod id (repeatable)"
        )
        parser.add_argument(
            "--all", action="store_true", help="every pod whose data key is older than --before"
        )
        parser.add_argument("--before", help="ISO 8601 time (with --all); default: now")
        parser.add_argument(
            "--batch-size", type=int, default=REENCRYPT_WRITE_SIZE, help="rows per transaction"
        )
        parser.add_argument(
            "--pause", type=float, default=0.0, help="seconds to wait between batches (eases the load)"
        )

    def handle(self, pod, all, before, batch_size, pause, **options):
        if batch_size < 1:
            raise CommandError("--batch-size is at least 1.")
        if bool(pod) == bool(all):
            raise CommandError("Name pods with --pod, or give --all (not both).")
        if all:
            cutoff = _parse_time(before) if before else timezone.now()
            self.stdout.write(f"Rotating every pod whose data key was made before {cutoff.isoformat()}.")
            self.stdout.write(f"To resume after a crash: --all --before {cutoff.isoformat()}")
            in_progress = list(
                Pod.objects.exclude(previous_kek_id="").order_by("pk").values_list("pk", flat=True)
            )
            pod = in_progress + list(
                Pod.objects.filter(data_key_created_at__lt=cutoff, previous_kek_id="")
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        done = failed = 0
        for pod_id in pod:
            try:
                count = rotate_pod_data_key(
                    pod_id=pod_id,
                    batch_size=batch_size,
                    report=lambda line: self.stdout.write(line),
                    between_batches=lambda: time.sleep(pause) if pause else None,
                )
            except DecryptionError as exc:
                failed += 1
                self.stderr.write(f"pod {pod_id}: {exc} (integrity error, logged); run again to retry.")
                continue
            done += 1
            self.stdout.write(f"pod {pod_id}: {count} ciphertexts re-encrypted under a new data key.")
        self.stdout.write(f"{done} pod(s) rotated, {failed} left unchanged.")
        if failed:
            raise CommandError("Some pods could not be rotated; see above.", returncode=1)


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"--before is an ISO 8601 time, e.g. 2026-12-02T10:00:00+00:00, not {text!r}."
        ) from exc
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
