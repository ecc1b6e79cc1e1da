"""Company domains: one normal form, so that ``https://www.Acme.com/about`` and ``acme.com``
are the same company (and clash on the per-organization unique rule).
"""

import re

from django.core.exceptions import ValidationError

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_LABEL = re.compile(r"^(?!-)(?:[^\W_]|-){1,63}(?<!-)$")  # letters (any script), digits, inner hyphens
MAX_DOMAIN_LENGTH = 253
# For the OpenAPI document: a plain subset of what normalize_domain takes (it also takes ports,
# user names, queries and non-Latin labels), bounded well under MAX_DOMAIN_LENGTH.
DOMAIN_PATTERN = (
    r"^(https?://)?([A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,12}(/[A-Za-z0-9._~-]*)?$"
)


def normalize_domain(value: str) -> str:
    """``"https://user@www.Acme.com:8080/about?x#y"`` → ``"acme.com"``; ``""`` stays ``""``.

    Lower case; no scheme, user, ``www.``, port, path, query, fragment or trailing dot.
    Raises ValidationError when what remains is not a host name with at least two labels.
    """
    text = (value or "").strip().lower()
    if not text:
        return ""
    host = _SCHEME.sub("", text)
    for separator in "/?#":
        host = host.split(separator, 1)[0]
    host = host.rsplit("@", 1)[-1]  # user:password@host, or an email address
    host = host.split(":", 1)[0].rstrip(".")  # port; the root's trailing dot
    host = host.removeprefix("www.")
    labels = host.split(".")
    if (
        len(labels) < 2
        or len(host) > MAX_DOMAIN_LENGTH
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError(f"{value!r} is not a domain such as acme.com.", code="invalid")
    return host


def email_domain(email: str) -> str:
    """The normalised domain of an email address (``""`` when there is none)."""
    _, at, domain = (email or "").strip().rpartition("@")
    if not at or not domain:
        return ""
    try:
        return normalize_domain(domain)
    except ValidationError:
        return ""
