from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "CSV imports"

    def ready(self):
        # Imports run in the product's one worker (manage.py runworker), beside webhook deliveries.
        from imports import jobs
        from rexcrm.events import worker

        worker.register("imports", jobs.run)
