import json
import sys

from django.core.management.base import BaseCommand, CommandError

from vault import erasure
from vault.models import PodTombstone


class Command(BaseCommand):
    help = (
        "Keep erasures through backups: `tombstones export` writes every tombstone as JSON lines (keep "
        "the file outside the database backups); after restoring a backup, `tombstones reapply FILE` "
        "erases again every pod the backup brought back."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "reapply"])
        parser.add_argument(
            "file", nargs="?", help="reapply: the JSON lines `tombstones export` wrote (- for stdin)"
        )

    def handle(self, action, file=None, **options):
        if action == "export":
            for tombstone in PodTombstone.objects.order_by("erased_at").iterator():
                self.stdout.write(json.dumps(erasure.tombstone_record(tombstone), sort_keys=True))
            return
        if not file:
            raise CommandError("reapply needs the file `tombstones export` wrote.")
        lines = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115 - closed below
        erased_again = seen = 0
        try:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    erased_again += erasure.reapply(json.loads(line))
                except ValueError as exc:
                    raise CommandError(f"line {number}: {exc}") from exc
                seen += 1
        finally:
            if lines is not sys.stdin:
                lines.close()
        self.stdout.write(
            f"{seen} tombstones; {erased_again} pods the backup brought back were erased again."
        )
