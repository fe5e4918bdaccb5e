from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organisation
from accounts.services import create_organisation, issue_api_token
from credentials.models import SERVICE_SLUG, IssuerKey
from credentials.selectors import active_issuer_key
from credentials.services import create_issuer_key


class Command(BaseCommand):
    help = (
        "Onboard an organisation: create it, give an issuer its Ed25519 signing key (did:key), "
        "and print an API token (shown once; only its digest is stored)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=[k.value for k in Organisation.Kind])
        parser.add_argument("--slug", default="")

    @transaction.atomic
    def handle(self, name, kind, slug, **options):
        if slug == SERVICE_SLUG:
            raise CommandError(f"The slug {slug!r} is reserved for this service's own identity.")
        if slug and Organisation.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with slug {slug!r} exists already.")
        try:
            organisation = create_organisation(name=name, kind=kind, slug=slug)
        except ValidationError as exc:  # a name taken (its slug), or holding hidden characters
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(f"Not onboarded: {problems} (choose another name, or --slug).") from None
        self.stdout.write(f"organisation: {organisation.name} ({organisation.kind}) slug={organisation.slug}")
        if kind == Organisation.Kind.ISSUER:
            key = create_issuer_key(organisation=organisation)
            self.stdout.write(f"signing key:  {key.did}")
            p256 = active_issuer_key(organisation, key_type=IssuerKey.KeyType.P256)
            self.stdout.write(f"P-256 key:    {p256.did}")
        _, token = issue_api_token(organisation=organisation, name="onboarding")
        self.stdout.write(f"api token:    {token}")
        self.stderr.write("Store the token now: it is not shown again.")
