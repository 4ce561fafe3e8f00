"""The account pages speak the site's words and wear its layout: "Log in" everywhere (never
allauth's "Sign In"), labels without colons, the remember-me checkbox beside its label, a real
address instead of "contact us", a confirmation that ends logged in, and every link in an
account email on SITE_URL whatever host the request came in on."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User

from tests.accounts.test_branded_email import Page

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-7"
PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/confirm-email/",
]


def main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def signup(client, username="alice", email="alice@example.org", **extra):
    return client.post(
        "/accounts/signup/",
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
        **extra,
    )


@pytest.mark.parametrize("path", PAGES)
def test_one_wording_and_the_sites_layout(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<header class="site-header">' in html and '<div class="narrow account-page">' in html
    assert not re.search(r"\bsign[ -]?(in|out)\b", html, re.IGNORECASE), path
    assert "contact us" not in html.lower()
    labels = re.findall(r"<label[^>]*>(.*?)</label>", main(html), re.DOTALL)
    assert all(not label.strip().endswith(":") for label in labels), labels


def test_log_in_page(client):
    html = main(client.get("/accounts/login/").content.decode())
    assert "<h1>Log in</h1>" in html
    assert '<label for="id_login">Username or email</label>' in html
    assert '<button type="submit">Log in</button>' in html
    # the checkbox sits in a row with its label, not alone in a paragraph mid-column
    assert re.search(
        r'<div class="check account-check"><input type="checkbox" name="remember" '
        r'id="id_remember"><label for="id_remember">Remember me</label></div>',
        html,
    )
    assert '<a href="/accounts/password/reset/">Forgot your password?</a>' in html


def test_errors_show_by_the_form(client, cast):
    html = main(
        client.post("/accounts/login/", {"login": "owner", "password": "wrong"}).content.decode()
    )
    assert '<div class="message error" role="alert">' in html
    html = main(signup(client, "bad name!", "not-an-address").content.decode())
    assert html.count('class="account-field has-errors"') >= 2


def test_contact_address_when_the_operator_gives_one(client, settings):
    for path in ("/accounts/password/reset/", "/accounts/password/reset/done/"):
        assert "mailto:" not in client.get(path).content.decode()
    settings.CONTACT_EMAIL = "help@papers.example.org"
    for path in ("/accounts/password/reset/", "/accounts/password/reset/done/"):
        html = client.get(path).content.decode()
        assert '<a href="mailto:help@papers.example.org">help@papers.example.org</a>' in html


def test_hostile_contact_address_is_escaped(client, settings):
    settings.CONTACT_EMAIL = '"><script>alert(1)</script>'
    html = client.get("/accounts/password/reset/done/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_confirming_the_address_logs_in(client, inbox):
    signup(client)
    sent = client.get("/accounts/confirm-email/").content.decode()
    assert "you will be logged in" in sent
    link = inbox.link(inbox.messages[0], "/accounts/confirm-email/")
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(User.objects.get(username="alice").pk)
    home = client.get("/").content.decode()
    assert 'href="/u/alice"' in home and "Logged in as alice." in home


def test_confirming_in_another_browser_asks_to_log_in(client, inbox):
    from django.test import Client

    signup(client)
    link = inbox.link(inbox.messages[0], "/accounts/confirm-email/")
    other = Client()
    response = other.post(link, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "_auth_user_id" not in other.session
    html = response.content.decode()
    assert "You have confirmed alice@example.org" in html and "<h1>Log in</h1>" in html


def links(inbox) -> list[str]:
    found = []
    for message in inbox.messages:
        found += re.findall(r"https?://[^\s<>\"]+", inbox.text(message))
        found += [href for _, href in Page(inbox.html(message)).links]
    return [u for u in found if not u.startswith("mailto:")]


def test_every_link_in_account_mail_is_on_site_url(client, inbox, settings, cast):
    """The request comes in on another host and port than SITE_URL (a proxy, localhost
    against 127.0.0.1): the links still match the footer."""
    settings.SITE_URL = "http://127.0.0.1:8123"
    elsewhere = {"HTTP_HOST": "localhost:9999"}
    signup(client, **elsewhere)  # confirmation
    client.logout()
    signup(client, "again", "owner@example.org", **elsewhere)  # address already taken
    client.post("/accounts/password/reset/", {"email": "owner@example.org"}, **elsewhere)
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, **elsewhere)
    assert len(inbox.messages) == 4
    found = links(inbox)
    assert len(found) >= 8
    assert {urlsplit(u).netloc for u in found} == {"127.0.0.1:8123"}, found
    for message in inbox.messages:
        assert "127.0.0.1:8123/" in inbox.text(message).split("\n-- \n")[-1]  # the footer
