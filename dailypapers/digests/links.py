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


def sender_domain() -> str:
    """The domain of the digests' From address (Message-IDs and the unsubscribe mailbox)."""
    return parseaddr(settings.DIGEST_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def mailto(subject: str) -> str:
    """A mailto: link to the unsubscribe mailbox (the configured address, or
    ``unsubscribe@`` the sender's domain) with ``subject``."""
    address = settings.DIGEST_UNSUBSCRIBE_MAILTO or f"unsubscribe@{sender_domain()}"
    return f"mailto:{address}?subject={quote(subject)}"


def list_unsubscribe(url: str, mailto_link: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: both ways to leave, and one-click by POST to ``url``."""
    return {
        "List-Unsubscribe": f"<{url}>, <{mailto_link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_mailto(subscription: Subscription) -> str:
    """The mailto: half of a digest's List-Unsubscribe: the signed reference as subject."""
    return mailto("unsubscribe " + sign(subscription))


def unsubscribe_headers(subscription: Subscription) -> dict[str, str]:
    return list_unsubscribe(unsubscribe_url(subscription), unsubscribe_mailto(subscription))
