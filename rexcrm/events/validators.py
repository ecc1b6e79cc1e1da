"""Where a webhook may point (API.md §6.12): an ``https://`` URL of a public host. In debug mode
and in tests (``REX_WEBHOOKS["ALLOW_LOOPBACK"]``) a loopback host may be used too, over
``http://`` as well, so that developers can receive on their own machine.

Outside those, a URL names its host (no address literal: a literal private address is refused
with its own message) and is written as ``PUBLIC_URL`` says, the same pattern the API document
states, so that what the document calls valid is what is accepted. Host names are resolved when
an event is sent (``delivery.http_session``), where the address is checked again and pinned for
the connection.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # a letter first: never an IPv4 address
_PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
_URL_CHARACTERS = "[A-Za-z0-9._~!$&'()*+,;=:@/?%-]"  # RFC 3986's, without # (no fragment)
# An https URL of a host name of two labels or more (ASCII: IDNA names in their xn-- form), an
# optional port, then a path and query of URL characters (anything else percent-encoded). Written
# for every regex dialect alike (ECMA-262 for the document's readers, Python's here).
PUBLIC_URL = f"^https://(?:{_LABEL}\\.)+{_TOP_LABEL}(?::{_PORT})?(?:[/?]{_URL_CHARACTERS}*)?$"
_PUBLIC_URL = re.compile(PUBLIC_URL)


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
    if loopback:
        return
    if parts.scheme != "https":
        raise ValidationError("Must be an https:// URL (http:// only for a loopback host in debug mode).")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and not address.is_global:
        raise ValidationError("Must not point at a private, link-local or reserved address.", code="invalid")
    if address is not None:
        raise ValidationError("Must name a host (such as hooks.example.com), not an address.", code="invalid")
    if not _PUBLIC_URL.fullmatch(url):
        raise ValidationError(
            "Must be an https:// URL of a host name (letters, digits, hyphens and dots), with a path of "
            "URL characters only (percent-encode others) and no fragment.",
            code="invalid",
        )
