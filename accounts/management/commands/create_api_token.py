from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation, User
from accounts.services import issue_api_token


class Command(BaseCommand):
    help = "Create an API token for an organisation (--organisation SLUG) or a user (--user EMAIL)."

    def add_arguments(self, parser):
        holder = parser.add_mutually_exclusive_group(required=True)
        holder.add_argument("--organisation", metavar="SLUG")
        holder.add_argument("--user", metavar="EMAIL")
        parser.add_argument("--name", default="", help="a label, e.g. 'HR system'")

    def handle(self, *args, organisation=None, user=None, name="", **options):
        if organisation:
            org = Organisation.objects.filter(slug=organisation).first()
            if org is None:
                raise CommandError(f"No organisation with slug {organisation!r}.")
            _, token = issue_api_token(organisation=org, name=name)
        else:
            holder = User.objects.filter(email=user).first()
            if holder is None:
                raise CommandError(f"No user with e-mail {user!r}.")
            _, token = issue_api_token(user=holder, name=name)
        self.stdout.write(token)
        self.stderr.write("Store this token now: only its digest is kept.")
