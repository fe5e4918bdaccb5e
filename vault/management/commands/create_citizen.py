import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from accounts.services import issue_api_token
from core.errors import DomainError
from vault.services import create_citizen


class Command(BaseCommand):
    help = "Register a citizen and open their pod (the national identifier is stored only as an HMAC)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("national_id", help="COUNTRY:NUMBER, e.g. BE:85073003328")
        parser.add_argument("--password", action="store_true", help="prompt for a portal password")
        parser.add_argument("--token", action="store_true", help="also print an API token for the citizen")

    def handle(self, email, national_id, password=False, token=False, **options):
        secret = getpass.getpass("Password: ") if password else None
        try:
            pod = create_citizen(email=email, national_id=national_id, password=secret)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        except (IntegrityError, ValidationError) as exc:
            raise CommandError("A citizen with that e-mail or national identifier exists already.") from exc
        self.stdout.write(f"citizen: {email}  pod: {pod.id}  holder: {pod.holder_did}")
        if token:
            _, plaintext = issue_api_token(user=pod.owner, name="cli")
            self.stdout.write(f"api token: {plaintext}")
