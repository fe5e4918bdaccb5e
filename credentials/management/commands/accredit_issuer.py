from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Organisation
from core.commandline import moment_argument
from credentials.services import accredit_issuer
from vc.errors import VcError


class Command(BaseCommand):
    help = (
        "Record in the trust registry that an issuer is accredited for a credential type "
        "(e.g. DiplomaCredential), from a date (default now) until an optional end."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="the issuer's slug")
        parser.add_argument("credential_type", help="e.g. DiplomaCredential")
        parser.add_argument("--from", dest="valid_from", help="ISO 8601 start (default: now)")
        parser.add_argument("--until", dest="valid_until", help="ISO 8601 end (default: open-ended)")
        parser.add_argument("--notes", default="", help="the legal basis or register entry")

    def handle(self, organisation, credential_type, valid_from, valid_until, notes, **options):
        issuer = Organisation.objects.filter(slug=organisation).first()
        if issuer is None:
            raise CommandError(f"There is no organisation with slug {organisation!r}.")
        try:
            accreditation = accredit_issuer(
                organisation=issuer,
                credential_type=credential_type,
                valid_from=moment_argument(valid_from) or timezone.now(),
                valid_until=moment_argument(valid_until),
                notes=notes,
            )
        except VcError as exc:
            raise CommandError(exc.detail) from exc
        dids = ", ".join(issuer.signing_keys.values_list("did", flat=True)) or "(no signing key yet)"
        self.stdout.write(
            f"{issuer.name} is accredited for {accreditation.credential_type} from "
            f"{accreditation.valid_from.isoformat()}"
            + (f" until {accreditation.valid_until.isoformat()}" if accreditation.valid_until else "")
            + f"; DIDs covered: {dids}"
        )
