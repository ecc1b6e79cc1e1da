from django.core.management.base import BaseCommand

from rexcrm.events.worker import Worker


class Command(BaseCommand):
    help = (
        "Run the background worker: webhook deliveries, pruning and every registered job (Ctrl-C stops it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--poll", type=float, default=1.0, help="Seconds to sleep when there is nothing to do."
        )

    def handle(self, *args, poll, **options):
        Worker(poll_seconds=poll).run()
