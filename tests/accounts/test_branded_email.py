"""Every email the site sends has a plain-text and an HTML part, in the site's name, with
links that work: read from what a real SMTP server on loopback received."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import allauth
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.utils import timezone

from dailypapers.accounts.adapter import AccountAdapter
from dailypapers.settings import BASE_DIR

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-7"
OURS = BASE_DIR / "templates" / "account" / "email"
ALLAUTHS = Path(allauth.__file__).parent / "templates" / "account" / "email"


class Page(HTMLParser):
    """The links of an HTML part, its language and whether its tags are closed."""

    VOID = frozenset({"meta", "br", "img", "hr", "link", "input"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.lang = ""
        self.open: list[str] = []
        self._href: str | None = None
        self._text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag == "a":
            self._href, self._text = values.get("href") or "", ""
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (tag, self.open)
        self.open.pop()
        if tag == "a" and self._href is not None:
            self.links.append((self._text.strip(), self._href))
            self._href = None

    def handle_data(self, data):
        if self._href is not None:
            self._text += data

    def button(self, label: str) -> str:
        """The address of the link drawn as a button, checked against its written-out copy."""
        hrefs = [href for text, href in self.links if text == label]
        assert hrefs, self.links
        assert (hrefs[0], hrefs[0]) in self.links  # the same address, written out below
        return hrefs[0]


def parts(inbox, message):
    """The text and HTML parts of a received message, checked for the site's frame."""
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    text, html = inbox.text(message), inbox.html(message)
    page = Page(html)
    assert page.lang == "en" and page.open == []
    assert "Reading Group" in text and "Reading Group" in html
    assert "{{" not in text + html and "{%" not in text + html
    return text, html, page


@pytest.fixture(autouse=True)
def site_name(settings):
    settings.SITE_NAME = "Reading Group"


def test_sign_up_confirmation(client, inbox):
    client.post(
        "/accounts/signup/",
        {
            "username": "alice",
            "email": "alice@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    [mail] = inbox.messages
    assert mail["Subject"] == "[Daily Papers] Confirm your email address"
    text, html, page = parts(inbox, mail)
    assert ">Confirm your email address</h1>" in html
    assert "Please confirm that alice@example.org is the email address of alice" in text
    url = page.button("Confirm your email address")
    assert url in text
    path = urlsplit(url).path
    assert path.startswith("/accounts/confirm-email/")
    client.post(path)
    assert EmailAddress.objects.get(email="alice@example.org").verified


def test_password_reset(client, inbox, cast):
    client.post("/accounts/password/reset/", {"email": "owner@example.org"})
    [mail] = inbox.messages
    assert mail["Subject"] == "[Daily Papers] Reset your password"
    text, html, page = parts(inbox, mail)
    assert ">Reset your password</h1>" in html
    url = page.button("Choose a new password")
    assert url in text and "Your username is owner." in text
    form = client.get(urlsplit(url).path, follow=True)
    assert form.status_code == 200
    new = "a-brand-new-password-9"
    client.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert User.objects.get(username="owner").check_password(new)


def test_reset_for_an_unknown_address(client, inbox):
    client.post("/accounts/password/reset/", {"email": "o'hara@example.org"})
    [mail] = inbox.messages
    text, html, page = parts(inbox, mail)
    assert "with o'hara@example.org, but no account has this address" in text
    assert "with o&#x27;hara@example.org, but" in html  # escaped in HTML, plain in text
    assert client.get(urlsplit(page.button("Sign up")).path).status_code == 200


def test_signing_up_with_a_taken_address(client, inbox, cast):
    client.post(
        "/accounts/signup/",
        {
            "username": "another",
            "email": "owner@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    [mail] = inbox.messages
    assert mail["Subject"] == "[Daily Papers] You already have an account"
    text, html, page = parts(inbox, mail)
    assert ">You already have an account</h1>" in html
    url = page.button("Choose a new password")
    assert url in text
    assert client.get(urlsplit(url).path).status_code == 200


def test_security_notification(client, inbox, cast, settings):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    client.force_login(cast.owner)
    new = "a-brand-new-password-9"
    client.post(
        "/accounts/password/change/",
        {"oldpassword": "a-long-password-1", "password1": new, "password2": new},
    )
    [mail] = inbox.messages
    assert mail["Subject"] == "[Daily Papers] Your password was changed"
    text, html, page = parts(inbox, mail)
    assert ">Your password was changed</h1>" in html
    assert "Your password was changed." in text and "IP address 127.0.0.1" in text
    url = page.button("Reset your password")
    assert url == f"{settings.SITE_URL}/accounts/password/reset/" and url in text


def test_every_allauth_email_is_ours_in_text_and_html(cast, settings):
    """Each email allauth can send (also the ones this site's settings leave off) renders
    from our templates: a subject, a text and an HTML part, absolute links only."""
    names = sorted(
        p.name.removesuffix("_message.txt")
        for p in ALLAUTHS.glob("*_message.txt")
        if not p.name.startswith("base_")
    )
    assert len(names) >= 13
    context = {
        "user": cast.owner,
        "email": "o'hara@example.org",
        "activate_url": "https://papers.example.org/accounts/confirm-email/k/",
        "password_reset_url": "https://papers.example.org/accounts/password/reset/key/k/",
        "signup_url": "https://papers.example.org/accounts/signup/",
        "username": "owner",
        "code": "ABC123",
        "ip": "192.0.2.1",
        "user_agent": "Browser/1.0",
        "timestamp": timezone.now(),
        "from_email": "old@example.org",
        "to_email": "new@example.org",
        "deleted_email": "gone@example.org",
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    for name in names:
        for suffix in ("_subject.txt", "_message.txt", "_message.html"):
            assert (OURS / f"{name}{suffix}").exists(), f"{name}{suffix}"
        mail = AccountAdapter().render_mail(f"account/email/{name}", "o'hara@example.org", context)
        text, html = mail.body, mail.alternatives[0][0]
        assert mail.alternatives[0][1] == "text/html"
        assert mail.subject.startswith("[Daily Papers] ") and len(mail.subject) > 20
        assert "Reading Group" in text and "Reading Group" in html, name
        page = Page(html)
        assert page.lang == "en" and page.open == [], name
        for _, href in page.links:
            assert href.startswith(("http://", "https://")), (name, href)
            assert href in text, (name, href)
