"""Domain errors that services raise, whichever door (API, UI, admin) called them.

Services raise Django's ``ValidationError`` (bad input: a 400 on the API, a form error in the
UI and admin) and ``ConflictError`` (the current state forbids the write: a unique rule, or an
object still in use: a 409 on the API). The API's exception handler
(``rexcrm.core.api.errors``) translates both; the other doors catch ``REFUSED``.
"""

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The write conflicts with stored data. ``field`` names the rule, ``existing`` the object
    already there, where there is one (a unique clash: the API answers its id)."""

    def __init__(self, message: str, *, field: str | None = None, existing=None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.existing = existing


# Every refusal a service can raise: what a form, an admin action or a command catches.
REFUSED = (ValidationError, ConflictError)
