"""allauth's account adapter, with the site's name and address in every email it sends.

Each email is a named template triple in ``templates/account/email/``: ``NAME_subject.txt``,
``NAME_message.txt`` and ``NAME_message.html``, sent as multipart/alternative (plain text
first, HTML second) by allauth's ``render_mail``.

allauth builds the links it puts in emails from the request (``request.build_absolute_uri``),
so a request that came in on another host or port (a proxy, ``localhost`` against
``127.0.0.1``) would send links that differ from the footer's ``SITE_URL``: every link here
is rebuilt on ``SITE_URL``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


def mail_context() -> dict[str, str]:
    """What every email template may use, whether or not a request is at hand."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}


def on_site(url: str) -> str:
    """``url`` (absolute, or a path) with the scheme and host of ``SITE_URL``."""
    site = urlsplit(settings.SITE_URL)
    parts = urlsplit(url)
    return urlunsplit((site.scheme, site.netloc, parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        links = {
            key: on_site(value)
            for key, value in context.items()
            if key.endswith("url") and isinstance(value, str) and "://" in value
        }
        super().send_mail(template_prefix, email, {**context, **links, **mail_context()})

    def get_email_confirmation_url(self, request: Any, emailconfirmation: Any) -> str:
        return on_site(str(super().get_email_confirmation_url(request, emailconfirmation)))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(str(super().get_reset_password_from_key_url(key)))
