"""allauth's account adapter, with the site's name and address in every email it sends.

Each email is a named template triple in ``templates/account/email/``: ``NAME_subject.txt``,
``NAME_message.txt`` and ``NAME_message.html``, sent as multipart/alternative (plain text
first, HTML second) by allauth's ``render_mail``."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


def mail_context() -> dict[str, str]:
    """What every email template may use, whether or not a request is at hand."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        super().send_mail(template_prefix, email, {**mail_context(), **context})
