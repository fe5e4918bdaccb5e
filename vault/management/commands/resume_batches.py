from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from vault.batches import resume_stalled


class Command(BaseCommand):
    help = (
        "Send the task again for every batch left queued, or running past its lease (what the "
        "periodic sweeper does). Safe to run at any time: a batch a run still holds is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stalled-for",
            type=int,
            default=None,
            metavar="SECONDS",
            help="only batches whose task was last sent this long ago (default: BATCH_STALL_SECONDS); "
            "0 resends every batch no run holds",
        )

    def handle(self, stalled_for=None, **options):
        if stalled_for is not None and stalled_for < 0:
            raise CommandError("--stalled-for is a number of seconds, 0 or more.")
        resent = resume_stalled(stalled_for=None if stalled_for is None else timedelta(seconds=stalled_for))
        for batch_id in resent:
            self.stdout.write(f"resent: batch {batch_id}")
        self.stdout.write(f"{len(resent)} stalled batch(es) resent.")
