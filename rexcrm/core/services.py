"""Helpers every app's services share."""

from django.core.exceptions import ValidationError


def check_same_org(org_id, field: str, obj) -> None:
    """A linked object must belong to the organization. The API checks references on input;
    this keeps every other caller honest and says the same: 400 ``invalid_reference`` on
    ``field`` (e.g. ``contact_id``)."""
    if obj is not None and obj.org_id != org_id:
        message = f"No {obj._meta.verbose_name} with id {obj.typeid} in this organization."
        raise ValidationError({field: ValidationError(message, code="invalid_reference")})


def check_links_same_org(org_id, fields: dict, links=("contact", "company", "deal", "owner")) -> None:
    """``check_same_org`` for each of ``links`` present in ``fields`` (reported as ``<link>_id``)."""
    for name in links:
        check_same_org(org_id, f"{name}_id", fields.get(name))
