"""Company domains: one normal form, so that ``https://www.Acme.com/about`` and ``acme.com``
are the same company (and clash on the per-organization unique rule).
"""

import re

from django.core.exceptions import ValidationError

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_LABEL = re.compile(r"^(?!-)(?:[^\W_]|-){1,63}(?<!-)$")  # letters (any script), digits, inner hyphens
MAX_DOMAIN_LENGTH = 253

# What the API takes (and the domain filters, both doors): a domain or a URL of one, written in
# ASCII (IDNA names in their xn-- form): an optional http(s) scheme, two to five labels of
# letters, digits and inner hyphens, the last starting with a letter, a trailing dot, a port,
# then a path, query or fragment of URL characters (no comma: the filters split on it). At most
# 47 characters a label, so that no host the pattern admits passes MAX_DOMAIN_LENGTH. The same
# pattern is the OpenAPI document's, so the two cannot disagree; the web UI's forms and imports
# take anything normalize_domain makes a domain of (a user name, non-Latin labels…).
_API_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,45}[A-Za-z0-9])?"
_API_TOP_LABEL = "[A-Za-z](?:[A-Za-z0-9-]{0,45}[A-Za-z0-9])?"
DOMAIN_PATTERN = (
    f"^(?:[Hh][Tt][Tt][Pp][Ss]?://)?(?:{_API_LABEL}\\.){{1,4}}{_API_TOP_LABEL}\\.?(?::[0-9]{{1,5}})?"
    "(?:[/?#][A-Za-z0-9._~!$&'()*+;=:@/?#%-]*)?$"
)
_API_DOMAIN = re.compile(DOMAIN_PATTERN)


def check_api_domain(value: str) -> None:
    """Refuse a domain outside DOMAIN_PATTERN: in normalize_domain's words when it refuses it
    too (every door says the same), else as outside the API's written form."""
    if not _API_DOMAIN.fullmatch(value):
        normalize_domain(value)
        raise ValidationError(
            f"{value!r} is not a domain such as acme.com (or an http(s) URL of one), in ASCII.",
            code="invalid",
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
    if host.count(".") >= 2:  # www.com is a domain of its own
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
