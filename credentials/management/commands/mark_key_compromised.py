from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from credentials.models import HostedIssuerDid, IssuerKey
from credentials.selectors import active_issuer_key, issuer_key_of
from credentials.services import mark_key_compromised
from vc.errors import VcError


class Command(BaseCommand):
    help = (
        "Report an issuer's signing key compromised: nothing it signed is trusted any more, whatever "
        "date its proof gives; an active key is rotated first so the issuer keeps issuing, and hosted "
        "did:web documents stop listing it. Cannot be undone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "key",
            help="the key's did:key (or its verification method), or a hosted did:web#<publicKeyMultibase>",
        )
        parser.add_argument("--note", required=True, help="who reported the compromise, and how it was found")
        parser.add_argument(
            "--at", help="when it happened or was reported (ISO 8601 with a time zone); now by default"
        )

    def handle(self, key, note, at, **options):
        issuer_key = self._key(key)
        moment = None
        if at is not None:
            try:
                moment = parse_datetime(at)
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise CommandError(f"--at {at!r} is not an ISO 8601 date and time with a time zone.")
        if issuer_key.compromised_at is not None:
            self.stdout.write(
                f"{issuer_key.did} was already reported compromised on {issuer_key.compromised_at}."
            )
            return
        was_active = issuer_key.retired_at is None
        try:
            marked = mark_key_compromised(key=issuer_key, note=note, at=moment)
        except VcError as exc:
            raise CommandError(exc.detail) from exc
        organisation = marked.organisation
        self.stdout.write(
            f"{marked.did} of {organisation.name} is compromised since {marked.compromised_at}."
        )
        if was_active:
            self.stdout.write(
                f"{organisation.name} now signs with the new key {active_issuer_key(organisation).did}."
            )
        if marked.status_lists.filter(issuer_did=marked.did).exists():
            self.stdout.write(
                "Status lists of that did:key can only be signed by it: credentials in them are no longer "
                "trusted anyway; re-issue what the issuer still stands behind."
            )

    def _key(self, reference: str) -> IssuerKey:
        found = issuer_key_of(reference)
        if found is not None:
            return found
        hosted = HostedIssuerDid.objects.filter(did=reference.partition("#")[0]).first()
        if hosted is not None and "#" not in reference:
            keys = ", ".join(
                f"{hosted.did}#{multibase}"
                for multibase in hosted.organisation.signing_keys.values_list(
                    "public_key_multibase", flat=True
                )
            )
            raise CommandError(f"{reference} has several keys; name one: {keys}.")
        raise CommandError(f"{reference} names no signing key this service keeps.")
