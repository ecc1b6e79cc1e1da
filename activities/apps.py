from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "Activities and tasks"

    def ready(self):
        # Events render activities and tasks in their API shape.
        from activities.api.serializers import ActivitySerializer, TaskSerializer
        from activities.models import Activity, Task
        from rexcrm.events import outbox

        outbox.register(Activity, ActivitySerializer)
        outbox.register(Task, TaskSerializer)
