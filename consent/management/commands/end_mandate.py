from django.core.management.base import BaseCommand, CommandError

from consent.services import end_mandate
from core.errors import DomainError


class Command(BaseCommand):
    help = "End a mandate now: every read under it is refused from then on (logged). Audited."

    def add_arguments(self, parser):
        parser.add_argument("mandate", help="the mandate's id")
        parser.add_argument("--reason", default="", help="why it ends (kept in the audit trail)")
        parser.add_argument("--operator", default="", help="who ends it (kept in the audit trail)")

    def handle(self, mandate, reason, operator, **options):
        try:
            ended = end_mandate(
                mandate_id=mandate, reason=reason, operator_label=operator or "manage.py end_mandate"
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"mandate {ended.pk} of {ended.agency.name} ended at {ended.ended_at}")
