"""The links a digest carries: manage, one-click unsubscribe, confirm; signed, no log-in.

The manage and unsubscribe links name the subscription with a signature of the site's secret
key (``django.core.signing``): they work without logging in, for as long as the subscription
lives, and cannot be made up for someone else's.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import quote

from django.conf import settings
from django.core import signing

from .models import Subscription

_SALT = "dailypapers.digests.subscription"

# The pages (dailypapers/digests/urls.py routes these paths).
CONFIRM_PATH = "/digest/confirm/{token}"
MANAGE_PATH = "/digest/manage/{signed}"
UNSUBSCRIBE_PATH = "/digest/unsubscribe/{signed}"


def sign(subscription: Subscription) -> str:
    """The subscription's signed reference, as it appears in its links."""
    return signing.Signer(salt=_SALT).sign(str(subscription.pk))


def unsign(signed: str) -> Subscription | None:
    """The subscription a signed reference names; None for a forged, garbled or stale one."""
    try:
        value = signing.Signer(salt=_SALT).unsign(signed[:200])
    except signing.BadSignature:
        return None
    if not value.isdigit():
        return None
    return Subscription.objects.filter(pk=int(value)).first()


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def confirm_url(subscription: Subscription) -> str:
    return absolute(CONFIRM_PATH.format(token=subscription.confirm_token))


def manage_url(subscription: Subscription) -> str:
    return absolute(MANAGE_PATH.format(signed=sign(subscription)))


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute(UNSUBSCRIBE_PATH.format(signed=sign(subscription)))


def unsubscribe_mailto(subscription: Subscription) -> str:
    """The mailto: half of List-Unsubscribe: the configured address, or ``unsubscribe@`` the
    sender's domain, with the signed reference as the subject."""
    address = settings.DIGEST_UNSUBSCRIBE_MAILTO
    if not address:
        domain = parseaddr(settings.DIGEST_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
        address = f"unsubscribe@{domain}"
    return f"mailto:{address}?subject={quote('unsubscribe ' + sign(subscription))}"


def unsubscribe_headers(subscription: Subscription) -> dict[str, str]:
    """RFC 2369 and RFC 8058: both unsubscribe links, and one-click by POST."""
    return {
        "List-Unsubscribe": (
            f"<{unsubscribe_url(subscription)}>, <{unsubscribe_mailto(subscription)}>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
