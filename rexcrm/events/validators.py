"""Where a webhook may point (API.md §6.12): an ``https://`` URL of a public host. In debug mode
and in tests (``REX_WEBHOOKS["ALLOW_LOOPBACK"]``) a loopback host may be used too, over
``http://`` as well, so that developers can receive on their own machine.

Host names are resolved when an event is sent (``delivery.http_session``), where the address is
checked again and pinned for the connection; here, a literal address is refused at once.
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def is_loopback_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url) -> None:
    if not isinstance(url, str):
        raise ValidationError("Must be a string.", code="invalid")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise ValidationError("Must be a valid URL.", code="invalid") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError("Must be an absolute https:// URL.", code="invalid")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Must not hold a user name or password.", code="invalid")
    allow_loopback = settings.REX_WEBHOOKS["ALLOW_LOOPBACK"]
    loopback = is_loopback_host(host)
    if loopback and not allow_loopback:
        raise ValidationError("Must not point at this machine (a loopback host).", code="invalid")
    if parts.scheme != "https" and not loopback:
        raise ValidationError("Must be an https:// URL (http:// only for a loopback host in debug mode).")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not loopback and not address.is_global:
        raise ValidationError("Must not point at a private, link-local or reserved address.", code="invalid")
