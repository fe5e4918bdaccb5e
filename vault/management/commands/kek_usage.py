"""How many secrets each KEK still wraps (vault.keyrotation.kek_usage)."""

import json

from django.core.management.base import BaseCommand

from core.keyring import keyring
from vault.keyrotation import kek_usage


class Command(BaseCommand):
    help = (
        "Count, per KEK id, the secrets it still wraps, table by table. A KEK may leave "
        "KEY_ENCRYPTION_KEYS only when it wraps nothing (start-up refuses otherwise)."
    )
    # A diagnostic: it must run precisely when the start-up check (vault.E001) fails.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print {kek id: {table: rows}} as JSON")

    def handle(self, json=False, **options):
        ring = keyring()
        per_kek: dict[str, dict[str, int]] = {kek_id: {} for kek_id in ring.key_ids}
        for label, usage in kek_usage().items():
            for kek_id, rows in usage.items():
                per_kek.setdefault(kek_id, {})[label] = rows
        if json:
            self.stdout.write(_dumps(per_kek))
            return
        for kek_id, usage in per_kek.items():
            state = (
                "active"
                if kek_id == ring.active_id
                else "in the ring"
                if kek_id in ring.key_ids
                else "MISSING from KEY_ENCRYPTION_KEYS"
            )
            total = sum(usage.values())
            detail = ", ".join(f"{rows} {label}" for label, rows in usage.items()) or "nothing"
            self.stdout.write(f"{kek_id} ({state}): {total} wrapped: {detail}")
            if total == 0 and kek_id != ring.active_id:
                self.stdout.write(f"  {kek_id} wraps nothing: it may be removed from KEY_ENCRYPTION_KEYS.")


def _dumps(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
