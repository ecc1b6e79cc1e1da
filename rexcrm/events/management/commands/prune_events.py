from django.core.management.base import BaseCommand, CommandError

from rexcrm.events.retention import MIN_RETENTION_DAYS, prune


class Command(BaseCommand):
    help = "Delete events (and their delivery attempts) older than N days, and expired Idempotency-Keys."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, help="Keep this many days (default EVENT_RETENTION_DAYS, 30)."
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < MIN_RETENTION_DAYS:
            raise CommandError(f"Events are kept at least {MIN_RETENTION_DAYS} days.")
        events, keys = prune(days=days)
        self.stdout.write(f"Deleted {events} events and {keys} idempotency records.")
