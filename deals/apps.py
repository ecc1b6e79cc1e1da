from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"
    verbose_name = "Pipelines and deals"

    def ready(self):
        # Events render pipelines (with their stages), deals and products in their API shape.
        from deals.api.serializers import DealSerializer, PipelineSerializer, ProductSerializer
        from deals.models import Deal, Pipeline, Product
        from rexcrm.events import outbox

        outbox.register(Pipeline, PipelineSerializer)
        outbox.register(Deal, DealSerializer)
        outbox.register(Product, ProductSerializer)
