import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from consent.scopes import ScopeErrors, parse_authorization_details
from consent.services import register_mandate
from core.commandline import moment_argument
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Register a mandate: what the law lets an agency read without the citizen's consent (the "
        "legal reference, credential types and fields as RFC 9396 authorization_details, the "
        "purpose, an optional disclosure delay, the period). Audited; prints the mandate's id, "
        "which the agency states on each read."
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="the agency's slug")
        parser.add_argument("--reference-url", required=True, help="where the law is published")
        parser.add_argument("--reference-title", required=True, help="the law's title and article")
        parser.add_argument(
            "--authorization-details",
            required=True,
            help='JSON, e.g. [{"type": "credential", "credentialType": "DiplomaCredential", '
            '"claims": ["/credentialSubject/degree/name"]}]',
        )
        parser.add_argument("--purpose", required=True, help="a DPV purpose, e.g. dpv:LegalCompliance")
        parser.add_argument("--until", required=True, help="ISO 8601 end of the mandate")
        parser.add_argument("--from", dest="valid_from", help="ISO 8601 start (default: now)")
        parser.add_argument("--delay-days", type=int, default=0, help="disclosure delay in days (default 0)")
        parser.add_argument("--operator", default="", help="who registers it (kept in the audit trail)")

    def handle(self, agency, **options):
        organisation = Organisation.objects.filter(slug=agency).first()
        if organisation is None:
            raise CommandError(f"There is no organisation with slug {agency!r}.")
        try:
            scope = parse_authorization_details(json.loads(options["authorization_details"]))
        except ValueError as exc:
            raise CommandError(f"--authorization-details is not JSON: {exc}") from exc
        except ScopeErrors as exc:
            raise CommandError(f"--authorization-details: {exc}") from exc
        until = moment_argument(options["until"])
        assert until is not None
        try:
            mandate = register_mandate(
                agency=organisation,
                reference_url=options["reference_url"],
                reference_title=options["reference_title"],
                credential_types=list(scope.credential_types),
                claims={name: list(pointers) for name, pointers in scope.claims.items()},
                purpose=options["purpose"],
                valid_from=moment_argument(options["valid_from"]),
                valid_until=until,
                disclosure_delay_days=options["delay_days"],
                operator_label=options["operator"] or "manage.py register_mandate",
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(
            f"mandate:   {mandate.pk}\nagency:    {organisation.name}\nreference: {mandate.reference_title} "
            f"<{mandate.reference_url}>\nscope:     {json.dumps(mandate.scope.authorization_details())}\n"
            f"purpose:   {mandate.purpose}\ndelay:     {mandate.disclosure_delay_days} days\n"
            f"valid:     {mandate.valid_from.isoformat()} to {mandate.valid_until.isoformat()}"
        )
