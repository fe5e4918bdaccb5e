"""Retire the access log's checkpoint-signing key and make a new one."""

from django.core.management.base import BaseCommand

from vault import logkeys


class Command(BaseCommand):
    help = (
        "Rotate the Ed25519 key that signs access-log checkpoints. The old key is retired, not "
        "deleted: it stays published at /.well-known/citizen-vault/log-keys, so checkpoints it "
        "signed still verify. Other web processes sign with the new key from their next append."
    )

    def handle(self, *args, **options):
        key = logkeys.rotate_log_key()
        published = logkeys.published(key.name, bytes(key.public_key))
        self.stdout.write(f"New log key {key.pk}:\n{published}\n")
        self.stdout.write("Publish it where citizens look for it (docs/operations.md, 'The access log').")
