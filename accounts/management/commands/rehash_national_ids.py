"""Re-hash citizens' national identifiers under the current lookup-hash version."""

from django.core.management.base import BaseCommand, CommandError

from accounts.identity import current_lookup_version
from accounts.selectors import lookup_hash_usage
from accounts.services import rehash_national_ids_batch
from core.keyring import DecryptionError


class Command(BaseCommand):
    help = (
        "Re-hash, in batches (one transaction each), the national identifiers of citizens whose "
        "digest is under an older version of LOOKUP_HASH_KEYS, from the identifier kept sealed "
        "under the KEK ring. Safe to stop and run again. Citizens registered before identifiers "
        "were kept sealed move when an issuer next names them; the count is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=500, help="citizens per transaction (default %(default)s)"
        )
        parser.add_argument("--dry-run", action="store_true", help="only print the counts per version")

    def handle(self, batch_size, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size is at least 1.")
        current = current_lookup_version()
        self._print_usage(current)
        if dry_run:
            return
        after, total = None, 0
        while True:
            try:
                batch = rehash_national_ids_batch(after=after, limit=batch_size)
            except DecryptionError as exc:
                raise CommandError(
                    "A sealed national identifier did not open (integrity error, logged)."
                ) from exc
            if batch.rehashed == 0:
                break
            total += batch.rehashed
            after = batch.last_id
            self.stdout.write(f"{total} re-hashed under version {current!r}")
            self.stdout.flush()
        self.stdout.write(f"Done: {total} re-hashed.")
        self._print_usage(current)

    def _print_usage(self, current: str) -> None:
        for version, counts in lookup_hash_usage().items():
            state = "current" if version == current else "older"
            line = f"version {version!r} ({state}): {counts['citizens']} citizens"
            if version != current and counts["unsealed"]:
                line += (
                    f", {counts['unsealed']} with no sealed identifier (they move when an issuer names them)"
                )
            self.stdout.write(line)
