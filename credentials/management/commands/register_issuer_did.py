from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from credentials.services import register_external_did
from vc.errors import VcError


class Command(BaseCommand):
    help = (
        "Record that an issuer signs with a DID outside this service (its own did:web, or a did:key "
        "it holds), so its accreditations in the trust registry cover credentials signed with it."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="the issuer's slug")
        parser.add_argument("did", help="did:web:… or did:key:…")
        parser.add_argument("--notes", default="", help="how the DID was confirmed to be theirs")

    def handle(self, organisation, did, notes, **options):
        issuer = Organisation.objects.filter(slug=organisation).first()
        if issuer is None:
            raise CommandError(f"There is no organisation with slug {organisation!r}.")
        try:
            register_external_did(organisation=issuer, did=did, notes=notes)
        except VcError as exc:
            raise CommandError(exc.detail) from exc
        accredited = (
            ", ".join(issuer.accreditations.values_list("credential_type", flat=True)) or "nothing yet"
        )
        self.stdout.write(f"{did} is registered as {issuer.name}'s; accredited for: {accredited}")
