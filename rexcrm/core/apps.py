from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "rexcrm.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # Registers the OpenAPI extensions (security scheme, TypeID fields) with drf-spectacular.
        from rexcrm.core.api import schema  # noqa: F401
