"""Sign-in throttling against password guessing, for every login form (the web UI's and the
admin's both call ``authenticate``): each attempt costs a token from two buckets of the API's
rate limiter (``rexcrm.core.api.ratelimit``, shared by every process through Redis or the
database), one per email address and one per client address. An empty bucket refuses the
attempt before any password is checked, with the same answer as a wrong password.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from rexcrm.core.api.ratelimit import check_rate


def _bucket(kind: str, value: str) -> str:
    return f"login:{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]}"


def login_allowed(request, username: str) -> bool:
    limits = settings.REX_LOGIN_THROTTLE
    address = (request.META.get("REMOTE_ADDR", "") if request is not None else "") or "unknown"
    per_account = check_rate(_bucket("user", username), limit=limits["PER_MINUTE"], burst=limits["BURST"])
    per_address = check_rate(
        _bucket("ip", address), limit=limits["ADDRESS_PER_MINUTE"], burst=limits["ADDRESS_BURST"]
    )
    return per_account.allowed and per_address.allowed


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None and not login_allowed(request, username):
            raise PermissionDenied  # stops authenticate(): the form answers "wrong email or password"
        return super().authenticate(request, username=username, password=password, **kwargs)
