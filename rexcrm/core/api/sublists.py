"""Sub-lists (``/pipelines/:id/deals``, ``/contacts/:id/tasks`` …): a resource's list inside
one parent object, with the same filters, sorts, cursors and envelope as the top-level list.

An unknown parent, or another organization's, is a 404 naming the parent's kind.
"""

from rest_framework import exceptions

from rexcrm.core import ids
from rexcrm.core.api.views import ListMixin


class SubListMixin(ListMixin):
    """Set ``parent_model`` (e.g. ``Contact``) and ``parent_filter`` (a lookup on the listed
    model taking the parent's pk, e.g. ``"contact_id"``). The URL names the parent ``id``."""

    parent_model = None
    parent_filter = ""

    @property
    def path_prefixes(self):  # documents {id} as the parent's TypeID
        return {"id": self.parent_model.type_prefix}

    def parent_pk(self):
        model = self.parent_model
        not_found = exceptions.NotFound(f"{model._meta.verbose_name.capitalize()} not found.")
        try:
            pk = ids.decode(model.type_prefix, self.kwargs["id"])
        except ids.InvalidId:
            raise not_found from None
        if not model.objects.for_org(self.org).filter(pk=pk).exists():
            raise not_found
        return pk

    def list(self, request, *args, **kwargs):
        return self.list_response(self.get_queryset().filter(**{self.parent_filter: self.parent_pk()}))
