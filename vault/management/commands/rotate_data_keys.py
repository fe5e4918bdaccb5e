"""Re-encrypt pods under new data keys, one pod per transaction (vault.services)."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.keyring import DecryptionError
from vault.models import Pod
from vault.services import rotate_pod_data_key


class Command(BaseCommand):
    help = (
        "Give pods new data keys and re-encrypt what they hold, one pod per transaction, each "
        "recorded in the pod's access log. --pod rotates the pods named; --all rotates every pod "
        "whose data key was made before --before (default: now, printed at the start): after a "
        "crash, run it again with the same --before and it resumes with the pods not done yet."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--pod", action="append", default=[], metavar="POD_ID", help="a pod id (repeatable)"
        )
        parser.add_argument(
            "--all", action="store_true", help="every pod whose data key is older than --before"
        )
        parser.add_argument("--before", help="ISO 8601 time (with --all); default: now")

    def handle(self, pod, all, before, **options):
        if bool(pod) == bool(all):
            raise CommandError("Name pods with --pod, or give --all (not both).")
        if all:
            cutoff = _parse_time(before) if before else timezone.now()
            self.stdout.write(f"Rotating every pod whose data key was made before {cutoff.isoformat()}.")
            self.stdout.write(f"To resume after a crash: --all --before {cutoff.isoformat()}")
            pod = list(
                Pod.objects.filter(data_key_created_at__lt=cutoff).order_by("pk").values_list("pk", flat=True)
            )
        done = failed = 0
        for pod_id in pod:
            try:
                count = rotate_pod_data_key(pod_id=pod_id)
            except DecryptionError:
                failed += 1
                self.stderr.write(
                    f"pod {pod_id}: a ciphertext did not open (integrity error, logged); unchanged."
                )
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
