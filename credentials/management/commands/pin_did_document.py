import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from credentials.pinned import pin_did_document
from vc.diddocument import DidDocument
from vc.errors import UnresolvableKey


class Command(BaseCommand):
    help = (
        "Pin the DID document of a did:web DID from a file: it is validated, written to "
        "PINNED_DID_DOCUMENTS_DIR with its SHA-256, and from then on resolved from there, never "
        "from the network."
    )

    def add_arguments(self, parser):
        parser.add_argument("did", help="the did:web DID, e.g. did:web:university.example")
        parser.add_argument("file", type=Path, help="the DID document (JSON)")
        parser.add_argument(
            "--sha256",
            default="",
            help="the SHA-256 (hex) the file must have, as obtained from the issuer out of band",
        )

    def handle(self, did, file, sha256, **options):
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        digest = hashlib.sha256(content).hexdigest()
        if sha256 and digest != sha256.strip().lower():
            raise CommandError(f"{file} has SHA-256 {digest}, not the expected {sha256}. Nothing was pinned.")
        try:
            pin = pin_did_document(did, content)
        except UnresolvableKey as exc:
            raise CommandError(f"Not pinned: {exc.detail}") from exc
        self.stdout.write(f"pinned:  {did}")
        self.stdout.write(f"sha256:  {pin.sha256}")
        if pin.document is not None:
            self._describe(pin.document)

    def _describe(self, document: DidDocument) -> None:
        for method in document.methods.values():
            purposes = ", ".join(name for name, ids in document.relationships.items() if method.id in ids)
            usable = "usable" if method.public_key is not None else f"unusable: {method.unusable_because}"
            relationships = purposes or "no relationship"
            self.stdout.write(f"method:  {method.id} ({method.type}; {relationships}; {usable})")
