import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Membership, Organisation
from accounts.services import add_member


class Command(BaseCommand):
    help = (
        "Make a person a member of an organisation: they sign in on the portal (/portal/login/) and "
        "land on the organisation's console. Creates their account if there is none."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", metavar="SLUG")
        parser.add_argument("email")
        parser.add_argument("--password", action="store_true", help="prompt for a password (a new account)")
        parser.add_argument("--admin", action="store_true", help="the organisation's administrator")

    def handle(self, organisation, email, password=False, admin=False, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"No organisation with slug {organisation!r}.")
        secret = getpass.getpass("Password: ") if password else None
        role = Membership.Role.ADMIN if admin else Membership.Role.MEMBER
        try:
            add_member(organisation=org, email=email, password=secret, role=role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{email} is a member of {org.name}: console at /portal/console/{org.slug}/")
