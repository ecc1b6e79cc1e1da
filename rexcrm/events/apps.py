from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "rexcrm.events"
    label = "events"
    verbose_name = "Events and webhooks"

    def ready(self):
        # The worker's own jobs: webhook deliveries and the pruning of old rows.
        from rexcrm.events import delivery, retention, worker

        worker.register("deliveries", delivery.run)
        worker.register("retention", retention.run)
