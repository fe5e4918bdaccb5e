from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from credentials.services import host_issuer_did
from vc.dids import did_web_to_url
from vc.errors import VcError


class Command(BaseCommand):
    help = (
        "Host a did:web DID for an issuer whose keys this service keeps (needs ISSUER_DID_WEB_HOST). "
        "From then on the issuer signs as that DID, which survives key rotations."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="the issuer's slug")

    def handle(self, organisation, **options):
        issuer = Organisation.objects.filter(slug=organisation).first()
        if issuer is None:
            raise CommandError(f"There is no organisation with slug {organisation!r}.")
        try:
            hosted = host_issuer_did(organisation=issuer)
        except VcError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"{issuer.name} signs as {hosted.did}")
        self.stdout.write(f"DID document: {did_web_to_url(hosted.did)}")
