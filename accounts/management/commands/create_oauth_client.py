from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.oauth import register_oauth_client
from accounts.scopes import SCOPES, InvalidClientScope


class Command(BaseCommand):
    help = (
        "Register an OAuth 2.0 client (client-credentials grant) for an organisation and print its "
        "client_id and secret (only a hash of the secret is kept). Scopes: " + ", ".join(SCOPES) + ". "
        "Clients registered before the move to django-oauth-toolkit (migration accounts.0005) were "
        "deleted: register each again with this command and hand over the new credentials."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", metavar="ORG", help="the organisation's slug")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            metavar="SCOPE",
            help="a scope the client may ask for; repeat it, or separate scopes with spaces",
        )
        parser.add_argument("--name", default="", help="a label, e.g. 'issuing system'")

    def handle(self, *args, organisation: str, scope: list[str], name: str = "", **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"No organisation with slug {organisation!r}.")
        scopes = [token for value in scope for token in value.split()]
        try:
            client, secret = register_oauth_client(organisation=org, scopes=scopes, name=name)
        except InvalidClientScope as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"client_id={client.client_id}\nclient_secret={secret}\nscope={client.scope}")
        self.stderr.write("Store the client secret now: only its hash is kept.")
