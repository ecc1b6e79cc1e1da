from django import template

from deals.currencies import format_money
from rexcrm.core import clock

register = template.Library()


@register.simple_tag
def money(amount, currency, whole=False):
    """``{% money deal.value deal.currency %}``: minor units shown in the currency."""
    return format_money(amount, currency, whole=whole)


@register.filter
def days_since(moment) -> int | None:
    """Whole days from ``moment`` to now (the API's ``days_in_stage``)."""
    return None if moment is None else max(0, (clock.now() - moment).days)
